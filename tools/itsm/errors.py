"""The one error type of the ITSM layer: what went wrong, in the platform's own words, and what to do.

`retryable` drives the retry loops (429, 5xx, timeouts, resets); `maybe_landed` says the request may have
reached the server (a timeout or reset after sending, a 5xx), so the ticket must be re-read for the marker
before anything is sent again; `retry_after` is the server's requested wait in seconds.
"""

from __future__ import annotations


class ItsmError(Exception):
    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retryable: bool = False,
        maybe_landed: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retryable = retryable
        self.maybe_landed = maybe_landed
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"HTTP {self.http_status}: {self.message}" if self.http_status else self.message


class WriteRefused(ItsmError):
    """A write we will not send (mapping or policy), decided before any I/O."""
