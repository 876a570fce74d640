"""The one error a bad configuration raises, shared by the modules that read it."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is wrong; the message is one line for the operator."""
