"""Each ITSM's way of proving a webhook is theirs, checked in constant time.

- Jira Cloud admin webhooks with a secret sign the raw body: `X-Hub-Signature: sha256=<hex HMAC-SHA256>`.
- ServiceNow (an outbound REST message) and Freshservice (a workflow "Trigger Webhook" action) send a
  shared secret in a header the admin configures: `X-Webhook-Secret: <secret>` or
  `Authorization: Bearer <secret>`.

A missing proof is 401, a wrong one 403, a platform with no secret configured 403 (refused, never open).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from graph.server.settings import Platform, webhook_secret

JIRA_SIGNATURE_HEADER = "x-hub-signature"
SECRET_HEADER = "x-webhook-secret"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: `ok`, else the HTTP status to answer and why (never the secret)."""

    ok: bool
    status: int = 200
    reason: str = ""


ACCEPTED = Verdict(ok=True)


def jira_signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature` value Jira sends for `body` (also used by tests and the sandbox)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(platform: Platform, headers: Mapping[str, str], body: bytes) -> Verdict:
    """Check one delivery; `headers` must be case-insensitive (Starlette's are) or lower-cased."""
    secret = webhook_secret(platform)
    if secret is None:
        return Verdict(False, 403, f"{platform} webhook is not configured on this server")
    if platform == "jira":
        return _verify_hmac(secret, headers.get(JIRA_SIGNATURE_HEADER), body)
    return _verify_shared_secret(secret, headers)


def _verify_hmac(secret: str, header: str | None, body: bytes) -> Verdict:
    if not header:
        return Verdict(False, 401, "missing X-Hub-Signature")
    method, _, _digest = header.strip().partition("=")
    if method.lower() != "sha256":
        return Verdict(False, 403, "unsupported signature method (expected sha256=...)")
    if not hmac.compare_digest(header.strip().encode(), jira_signature(secret, body).encode()):
        return Verdict(False, 403, "signature does not match the body")
    return ACCEPTED


def _verify_shared_secret(secret: str, headers: Mapping[str, str]) -> Verdict:
    offered = headers.get(SECRET_HEADER)
    if offered is None:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        offered = token.strip() if scheme.lower() == "bearer" else None
    if not offered:
        return Verdict(False, 401, "missing X-Webhook-Secret (or Authorization: Bearer)")
    if not hmac.compare_digest(offered.strip().encode(), secret.encode()):
        return Verdict(False, 403, "wrong webhook secret")
    return ACCEPTED
