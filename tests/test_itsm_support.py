"""Shared helpers of the ITSM tests (no tests here): fast retry settings, a recording transport,
and validation of recorded requests against the full vendor specs in ../shared."""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tools.itsm.settings import ItsmSettings, RetrySettings

SHARED_SPECS = Path(__file__).resolve().parents[2] / "shared" / "itsm" / "specs"
FULL_SPEC_FILES = {"jira": "jira-platform-v3.openapi.json", "freshservice": "freshservice-v2.0.1.swagger.yml"}
PREFIXES = {"jira": "/jira", "freshservice": "/freshservice"}


def fast(settings: ItsmSettings, **retry: Any) -> ItsmSettings:
    """The sandbox's settings with tiny waits (tests must not sleep for real)."""
    policy = {"max_attempts": 6, "max_total_s": 10.0, "backoff_s": 0.005, "max_wait_s": 2.0, "settle_s": 0.0} | retry
    return settings.model_copy(update={"retry": RetrySettings(**policy)})


class RecordingTransport(httpx.BaseTransport):
    """Forwards to a real HTTP transport and keeps every request sent (method, path, query, JSON body)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        with self.lock:
            self.sent.append((request.method, request.url.path, dict(request.url.params), body))
        return self.inner.handle_request(request)


def require_shared_specs() -> Path:
    if not SHARED_SPECS.is_dir():
        pytest.skip(f"the full vendor specs are not here ({SHARED_SPECS}); they exist beside the clone in CI")
    return SHARED_SPECS


@lru_cache(maxsize=2)
def full_spec(name: str) -> dict[str, Any]:
    import yaml

    path = require_shared_specs() / FULL_SPEC_FILES[name]
    return json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())


@lru_cache(maxsize=2)
def _full_paths(name: str) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for path in full_spec(name)["paths"]:
        out.append((re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"), path))
    return sorted(out, key=lambda item: (item[1].count("{"), -len(item[1])))


def full_spec_operation(name: str, method: str, path: str) -> str | None:
    """The full spec's path template answering `method path`, or None when the spec does not cover it."""
    for regex, template in _full_paths(name):
        if regex.match(path) and method.lower() in full_spec(name)["paths"][template]:
            return template
    return None
