"""The field cipher: keys in the documented format, sealed values that hide and resist."""

from __future__ import annotations

import base64

import pytest

from storage.sealing.crypto import (
    GENERATE_HINT,
    BadSecretKey,
    FieldCipher,
    TamperedValue,
    UnknownKey,
    generate_secret_key,
    is_sealed,
    parse_secret_key,
    sealed_key_id,
)
from tests.keys import NEXT_SECRET_KEY, TEST_SECRET_KEY

PHONE = "13800138000"


def test_a_generated_key_has_the_documented_format() -> None:
    key = generate_secret_key()
    assert len(key) == 44 and len(base64.urlsafe_b64decode(key)) == 32
    assert parse_secret_key(key) == base64.urlsafe_b64decode(key)
    assert parse_secret_key(key.rstrip("=")) == base64.urlsafe_b64decode(key)  # padding optional


@pytest.mark.parametrize(
    "bad",
    ["", "k", "not base64 at all!", base64.urlsafe_b64encode(b"x" * 16).decode(), "密钥" * 22],
)
def test_bad_keys_are_refused_with_one_line_saying_how_to_make_one(bad: str) -> None:
    with pytest.raises(BadSecretKey) as refused:
        parse_secret_key(bad)
    message = str(refused.value)
    assert message.startswith("HVCONNECT_SECRET_KEY: expected 32 random bytes")
    assert GENERATE_HINT in message and "\n" not in message


def test_a_sealed_value_hides_its_plain_text_and_opens_again() -> None:
    cipher = FieldCipher.from_secrets(TEST_SECRET_KEY)
    sealed = cipher.seal("张伟 " + PHONE)
    assert is_sealed(sealed) and sealed_key_id(sealed) == cipher.current.key_id
    assert PHONE not in sealed and "张伟" not in sealed
    assert cipher.open(sealed) == "张伟 " + PHONE


def test_equal_values_never_look_equal_on_disk() -> None:
    cipher = FieldCipher.from_secrets(TEST_SECRET_KEY)
    assert cipher.seal(PHONE) != cipher.seal(PHONE)


def test_a_changed_value_is_refused_not_misread() -> None:
    cipher = FieldCipher.from_secrets(TEST_SECRET_KEY)
    sealed = cipher.seal(PHONE)
    body = sealed.rsplit(":", 1)[1]
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    for tampered in (sealed[: sealed.rindex(":") + 1] + flipped, sealed[:-4], "hv1:zz:"):
        with pytest.raises(TamperedValue):
            cipher.open(tampered)


def test_a_value_under_an_unknown_key_names_the_key_id() -> None:
    old = FieldCipher.from_secrets(TEST_SECRET_KEY)
    new = FieldCipher.from_secrets(NEXT_SECRET_KEY)
    with pytest.raises(UnknownKey) as refused:
        new.open(old.seal(PHONE))
    assert old.current.key_id in str(refused.value)
    assert "HVCONNECT_OLD_SECRET_KEYS" in str(refused.value)


def test_during_a_rotation_both_keys_read_and_the_new_one_writes() -> None:
    old = FieldCipher.from_secrets(TEST_SECRET_KEY)
    rotating = FieldCipher.from_secrets(NEXT_SECRET_KEY, [TEST_SECRET_KEY])
    assert rotating.open(old.seal(PHONE)) == PHONE
    fresh = rotating.seal(PHONE)
    assert rotating.is_current(fresh) and not old.is_current(fresh)
    assert rotating.key_ids == (rotating.current.key_id, old.current.key_id)
    assert old.lookup_hash(PHONE) in rotating.lookup_hashes(PHONE)


def test_values_written_before_encryption_pass_through() -> None:
    assert FieldCipher.from_secrets(TEST_SECRET_KEY).open(PHONE) == PHONE


def test_lookup_hashes_are_keyed() -> None:
    one = FieldCipher.from_secrets(TEST_SECRET_KEY)
    other = FieldCipher.from_secrets(NEXT_SECRET_KEY)
    assert one.lookup_hash(PHONE) == one.lookup_hash(PHONE)
    assert one.lookup_hash(PHONE) != other.lookup_hash(PHONE)
    assert PHONE not in one.lookup_hash(PHONE)


def test_old_keys_in_a_bad_format_name_their_variable() -> None:
    with pytest.raises(BadSecretKey) as refused:
        FieldCipher.from_secrets(TEST_SECRET_KEY, ["nope"])
    assert str(refused.value).startswith("HVCONNECT_OLD_SECRET_KEYS:")
