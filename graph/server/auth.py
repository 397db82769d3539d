"""Custom auth for the LangGraph server (`auth.path` in langgraph.json).

Services present an API key from `HELPDESK_API_KEYS` in `x-api-key`. Webhook routes cannot be proven
here: the server calls this handler before the body is read, and Jira signs the body. So
`/webhooks/<platform>` passes with a webhook-only identity and its route verifies the platform's
signature or shared secret before anything starts (see `graph.server.signatures`). `/health` is open.
Every API resource then requires the `api` permission, so a webhook identity reaches nothing else.
`helpdesk serve --studio` (loopback only) also lets LangGraph Studio's session in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from langgraph_sdk import Auth

from graph.server.settings import API_KEYS_ENV, PLATFORMS, api_keys, studio_enabled

API_KEY_HEADER = b"x-api-key"
WEBHOOK_PATHS = {f"/webhooks/{platform}": platform for platform in PLATFORMS}
OPEN_PATHS = {"/health"}
API_PERMISSION = "api"
STUDIO_IDENTITY = "langgraph-studio-user"  # the user langgraph-api gives Studio when Studio auth is on

auth = Auth()


@auth.authenticate
async def authenticate(headers: Mapping[Any, Any], path: str | None = None) -> Auth.types.MinimalUserDict:
    """Who is calling: a service (by API key), a webhook sender (checked by its route), or anonymous health.

    langgraph-api passes `headers` (bytes keys) and `path` by name; Aegra passes only `headers` (str keys)
    and never routes webhooks through here.
    """
    route = (path or "").rstrip("/") or "/"
    if route in WEBHOOK_PATHS:
        return {"identity": f"webhook:{WEBHOOK_PATHS[route]}", "permissions": ["webhook"]}
    if route in OPEN_PATHS:
        return {"identity": "anonymous", "permissions": []}
    offered = headers.get(API_KEY_HEADER, headers.get(API_KEY_HEADER.decode()))
    return identify_service(offered.encode() if isinstance(offered, str) else offered)


def identify_service(offered: bytes | None) -> Auth.types.MinimalUserDict:
    """The service behind an API key; 401 without a key, 403 with a wrong one (compared in constant time)."""
    keys = api_keys()
    if not keys:
        raise Auth.exceptions.HTTPException(status_code=401, detail=f"no API keys configured ({API_KEYS_ENV})")
    if not offered:
        raise Auth.exceptions.HTTPException(status_code=401, detail="missing x-api-key header")
    matched = [key for key in keys if hmac.compare_digest(offered, key.encode())]
    if not matched:
        raise Auth.exceptions.HTTPException(status_code=403, detail="invalid API key")
    fingerprint = hashlib.sha256(matched[0].encode()).hexdigest()[:12]
    return {"identity": f"service:{fingerprint}", "permissions": [API_PERMISSION]}


@auth.on
async def require_api_permission(ctx: Auth.types.AuthContext, value: dict) -> bool:
    """Default deny: only API-key callers (and Studio, in `--studio` mode) touch threads, runs and the rest."""
    if API_PERMISSION in ctx.permissions:
        return True
    return studio_enabled() and getattr(ctx.user, "identity", None) == STUDIO_IDENTITY
