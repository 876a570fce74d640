"""The daily backup, as one of the scheduler's sweeps.

The scheduler runs its sweeps every minute; this one takes a snapshot the first time it runs
on a day (in the bot's time zone) that has none yet in ``[backup] dir``, so a bot started at
any hour has today's backup within a minute, and a restart does not take a second one. It
then removes the daily backups older than ``[backup] keep_days``. The snapshot is taken on
its own connection in a worker thread, so the bot keeps answering meanwhile. On PostgreSQL
the backup is a ``pg_dump`` archive (``hvconnect-<time>.dump``), kept and removed the same
way; each instance of a fleet sharing the folder finds today's and skips it, and instances
with folders of their own each keep one.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from pathlib import Path

from bot.config.settings import Backups, ConfigError
from storage.backup.postgresql import DUMP_SUFFIX, daily_dump, program
from storage.backup.snapshot import DAILY_NAME, BackupError, daily_backup, daily_name
from storage.sealing.crypto import FieldCipher

log = logging.getLogger("hvconnect.backup")
SWEEP_NAME = "daily-backup"


class DailyBackup:
    """A sweep: ``await job(now)`` backs up when today has no backup yet; returns 0 (it
    queues no messages)."""

    def __init__(
        self, database: Path | str, settings: Backups, cipher: FieldCipher | None, tz: tzinfo
    ) -> None:
        if settings.directory is None:
            raise ValueError("the daily backup needs [backup] dir")
        if isinstance(database, str):
            # Found out at start-up, in one line, rather than as a failed sweep every minute.
            try:
                program("pg_dump")
            except BackupError as exc:
                raise ConfigError(f"HVCONNECT_CONFIG: [backup] dir: {exc}") from None
        self._database = database
        self._directory = settings.directory
        self._keep_days = settings.keep_days
        self._cipher = cipher if settings.encrypt else None
        self._tz = tz
        self.last: Path | None = None

    def done_today(self, now: datetime) -> bool:
        day = f"{now.astimezone(self._tz):%Y%m%d}"
        if not self._directory.is_dir():
            return False
        return any(
            (match := DAILY_NAME.match(path.name)) is not None and match.group(1)[:8] == day
            for path in self._directory.iterdir()
        )

    async def __call__(self, now: datetime) -> int:
        if self.done_today(now):
            return 0
        local = now.astimezone(self._tz)
        if isinstance(self._database, str):
            manifest, removed = await daily_dump(
                self._database,
                self._directory,
                local,
                keep_days=self._keep_days,
                cipher=self._cipher,
            )
            suffix = DUMP_SUFFIX
        else:
            manifest, removed = await daily_backup(
                self._database,
                self._directory,
                local,
                keep_days=self._keep_days,
                cipher=self._cipher,
            )
            suffix = ".db"
        self.last = self._directory / daily_name(local, encrypted=manifest.encrypted, suffix=suffix)
        log.info(
            "daily backup taken: %d rows, schema %d%s; %d old backup(s) removed",
            manifest.rows,
            manifest.schema_version,
            ", encrypted" if manifest.encrypted else "",
            len(removed),
        )
        return 0
