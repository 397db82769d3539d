"""Server secrets from the environment, read on every call so a rotated value needs no code path.

`HELPDESK_API_KEYS`: comma-separated API keys for services (sent as `x-api-key`).
`HELPDESK_WEBHOOK_SECRET_<PLATFORM>`: one secret per ITSM (SERVICENOW, JIRA, FRESHSERVICE).
Unset means refused, never open.
"""

from __future__ import annotations

import os
from typing import Literal

Platform = Literal["servicenow", "jira", "freshservice"]
PLATFORMS: tuple[Platform, ...] = ("servicenow", "jira", "freshservice")

API_KEYS_ENV = "HELPDESK_API_KEYS"
STUDIO_ENV = "HELPDESK_STUDIO"
WEBHOOK_SECRET_ENV = "HELPDESK_WEBHOOK_SECRET_{platform}"


def api_keys() -> tuple[str, ...]:
    """The configured API keys (blank entries dropped)."""
    raw = os.environ.get(API_KEYS_ENV, "")
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def webhook_secret(platform: Platform) -> str | None:
    """The shared secret (or HMAC key) of one platform's webhook, None when not configured."""
    value = os.environ.get(WEBHOOK_SECRET_ENV.format(platform=platform.upper()), "").strip()
    return value or None


def studio_enabled() -> bool:
    """`helpdesk serve --studio` (loopback only): LangGraph Studio's session may use the API."""
    return os.environ.get(STUDIO_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
