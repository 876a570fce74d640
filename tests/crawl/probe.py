"""What the crawler watches inside the bot's process: which updates are fully handled, and
what the bot logged at ERROR while handling them.

Both are read from the running application without changing what it does: one more
handler in a group after every other (it sees an update only when all groups, the error
handler included, are done with it), and one logging handler on the root logger.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import BotApplication
from storage.update_handling import WRITE_THROUGH_GROUP

# After the conversation states are saved: the last thing the bot does with an update.
PROBE_GROUP = WRITE_THROUGH_GROUP + 1


class HandledUpdates:
    """The ids of updates the bot has finished with, and a way to wait for one of them."""

    def __init__(self) -> None:
        self._done: set[int] = set()
        self._changed = asyncio.Condition()

    def install(self, application: BotApplication) -> None:
        application.add_handler(TypeHandler(Update, self._seen), group=PROBE_GROUP)

    async def _seen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self._changed:
            self._done.add(update.update_id)
            self._changed.notify_all()

    async def wait(self, update_id: int, seconds: float) -> bool:
        """True once the update is handled; False if ``seconds`` pass first."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: update_id in self._done), seconds
                )
            except TimeoutError:
                return False
        return True


@dataclass
class LogTrap(logging.Handler):
    """Every record at ERROR or above, from any logger of the process."""

    records: list[logging.LogRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def since(self, mark: int) -> list[str]:
        """The records after ``mark`` (a former ``len(records)``), one line each: the
        message, the exception and the last line of the project's own code it came from."""
        return [describe(r) for r in self.records[mark:]]

    def __hash__(self) -> int:
        return id(self)


def describe(record: logging.LogRecord) -> str:
    text = f"{record.name}: {record.getMessage()}"
    error = record.exc_info[1] if record.exc_info else None
    if error is not None:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if "site-packages" not in f.filename]
        where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
        text += f" -- {type(error).__name__}: {error}{where}"
    return text
