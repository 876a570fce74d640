"""Encrypted backup files: they open only whole, unaltered and with a configured key."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from storage.backup.encryption import CHUNK, BackupFileError, decrypt_file, encrypt_bytes
from storage.backup.restore import verify
from storage.backup.snapshot import BackupError, Manifest, file_sha256, manifest_path, snapshot
from storage.sealing.columns import install_sync
from storage.sealing.crypto import FieldCipher
from tests.keys import NEXT_SECRET_KEY, TEST_SECRET_KEY, make_test_cipher
from tests.storage.samples import NOW


def _encrypted(tmp_path: Path, data: bytes) -> Path:
    out = io.BytesIO()
    encrypt_bytes(data, make_test_cipher(), out)
    path = tmp_path / "b.enc"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("size", [0, 10, CHUNK, CHUNK * 2 + 7])
def test_any_size_goes_round(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    assert decrypt_file(_encrypted(tmp_path, data), make_test_cipher()) == data


def test_a_backup_from_before_a_rotation_opens_with_the_old_key_configured(
    tmp_path: Path,
) -> None:
    path = _encrypted(tmp_path, b"x" * 100)
    rotated = FieldCipher.from_secrets(NEXT_SECRET_KEY, [TEST_SECRET_KEY])
    assert decrypt_file(path, rotated) == b"x" * 100
    with pytest.raises(BackupFileError, match="not among the configured keys"):
        decrypt_file(path, FieldCipher.from_secrets(NEXT_SECRET_KEY))


def test_cut_altered_or_foreign_files_are_refused(tmp_path: Path) -> None:
    data = bytes(range(256)) * (CHUNK // 128)  # three chunks
    whole = _encrypted(tmp_path, data).read_bytes()
    cases = {
        "cut at a chunk boundary": whole[: 6 + 8 + 8 + 4 + CHUNK + 16],
        "cut inside a chunk": whole[:-5],
        "cut inside a length": whole[: 6 + 8 + 8 + 2],
        "header only": whole[: 6 + 8 + 8],
        "a flipped byte": whole[:100] + bytes([whole[100] ^ 1]) + whole[101:],
        "an absurd length": whole[:22] + b"\xff\xff\xff\xff" + whole[26:],
    }
    for name, damaged in cases.items():
        path = tmp_path / "damaged.enc"
        path.write_bytes(damaged)
        with pytest.raises(BackupFileError):
            decrypt_file(path, make_test_cipher())
        assert name
    path.write_bytes(b"SQLite format 3\x00")
    with pytest.raises(BackupFileError, match="not an encrypted hvconnect backup"):
        decrypt_file(path, make_test_cipher())


def test_a_manifest_that_cannot_be_read_or_lies_about_encryption(tmp_path: Path) -> None:
    source = tmp_path / "hv.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    backup = tmp_path / "snap.db"
    manifest = snapshot(source, backup, NOW, None)
    manifest_path(backup).write_text("{not json")
    with pytest.raises(BackupError, match="cannot be read"):
        verify(backup, None)
    manifest_path(backup).write_text('{"format": 99}')
    with pytest.raises(BackupError, match=r"cannot be read|not one this release"):
        verify(backup, None)
    lying = replace(manifest, encrypted=True)
    manifest_path(backup).write_text(lying.to_json())
    with pytest.raises(BackupError, match="encryption"):
        verify(backup, None)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    backup = tmp_path / "snap.db"
    backup.write_bytes(b"definitely not sqlite" * 100)
    manifest = Manifest(
        1, NOW.isoformat(), 7, {}, backup.stat().st_size, file_sha256(backup), False, None
    )
    manifest_path(backup).write_text(manifest.to_json())
    with pytest.raises(BackupError, match="not a readable database"):
        verify(backup, None)


def test_plain_sqlite_connections_seal_and_open_too(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "t.db")
    install_sync(conn, make_test_cipher())
    conn.execute("CREATE TABLE users (phone TEXT)")
    conn.execute("INSERT INTO users VALUES (hv_seal(?))", ("13800138000",))
    [row] = conn.execute("SELECT phone, phone AS raw FROM users").fetchall()
    assert row["phone"] == "13800138000" and row["raw"].startswith("hv1:")
    conn.close()
