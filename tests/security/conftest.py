"""The end-to-end fixtures (emulator, clock, bot) for the security tests as well."""

from tests.e2e.conftest import bot, clock, emulator

__all__ = ["bot", "clock", "emulator"]
