"""A local Telegram Bot API emulator for end-to-end tests, benchmarks and demos.

It stands apart from the bot: the bot reaches it only through python-telegram-bot's
``base_url``/``base_file_url``, and tests drive it as Telegram users would.
"""

from sandbox.emulator import BotApiEmulator
from sandbox.inbox import ChatInbox, WaitTimeout
from sandbox.limits import RateLimits
from sandbox.markup import InlineButton
from sandbox.messages import MessageVersion, SentMessage
from sandbox.state import CallbackAnswer
from sandbox.stats import SandboxStats
from sandbox.users import ButtonNotFound, FakeUser, Press, Sent
from sandbox.webhook import WebhookRetry

__all__ = [
    "BotApiEmulator",
    "ButtonNotFound",
    "CallbackAnswer",
    "ChatInbox",
    "FakeUser",
    "InlineButton",
    "MessageVersion",
    "Press",
    "RateLimits",
    "SandboxStats",
    "Sent",
    "SentMessage",
    "WaitTimeout",
    "WebhookRetry",
]
