"""Retry policy (tenacity): which failures are retried, how long to wait, when to give up.

Waits honour the server: `Retry-After` (seconds or an HTTP date) first, else `X-RateLimit-Reset`
(unix seconds on ServiceNow, ISO 8601 on Jira), else exponential backoff with jitter. A requested wait
longer than `max_wait_s` ends the loop (retrying early only fails again); attempts and total time are
bounded. After a failure that may have landed, the wait is at least `settle_s` so the pre-write marker
check sees a request the server was still processing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from tools.itsm.errors import ItsmError
from tools.itsm.settings import RetrySettings


def _parse_time(raw: str) -> datetime | None:
    raw = raw.strip()
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def server_wait_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or X-RateLimit-Reset; None if it did not say."""
    now = now or datetime.now(UTC)
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        stripped = retry_after.strip()
        if stripped.replace(".", "", 1).isdigit():
            return float(stripped)
        when = _parse_time(stripped)
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset is not None:
        when = _parse_time(reset)
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    return None


class _ServerAwareWait:
    """tenacity wait: the server's wait when given, else jittered exponential backoff; settle after ambiguity."""

    def __init__(self, policy: RetrySettings) -> None:
        self._policy = policy
        self._backoff = wait_random_exponential(multiplier=policy.backoff_s, max=policy.max_wait_s)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        wait = self._backoff(state) if self._policy.backoff_s else 0.0
        if isinstance(exc, ItsmError):
            if exc.retry_after is not None:
                wait = exc.retry_after
            if exc.maybe_landed:
                wait = max(wait, self._policy.settle_s)
        return wait


def _retryable(policy: RetrySettings) -> Callable[[BaseException], bool]:
    def check(exc: BaseException) -> bool:
        if not isinstance(exc, ItsmError) or not exc.retryable:
            return False
        return exc.retry_after is None or exc.retry_after <= policy.max_wait_s

    return check


def retrying(policy: RetrySettings, sleep: Callable[[float], None] = time.sleep) -> Retrying:
    """A bounded tenacity loop; the last error is re-raised when it gives up."""
    return Retrying(
        stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_total_s),
        wait=_ServerAwareWait(policy),
        retry=retry_if_exception(_retryable(policy)),
        sleep=sleep,
        reraise=True,
    )
