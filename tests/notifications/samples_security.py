"""Sample contexts for the messages about storage trouble."""

from __future__ import annotations

from typing import Any

SECURITY_SAMPLES: dict[str, dict[str, Any]] = {
    "common/busy": {"draft_kept": True},
    "common/storage_alert": {"problem": "full"},
}
