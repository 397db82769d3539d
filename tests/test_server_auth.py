"""Custom auth: API keys for services, webhook paths handed to their routes, everything else refused."""

from __future__ import annotations

import pytest
from langgraph_api.auth.studio_user import StudioUser
from langgraph_sdk import Auth

from graph.server.auth import authenticate, require_api_permission


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_API_KEYS", "key-one, key-two ,")


async def test_api_key_identifies_a_service_without_revealing_the_key() -> None:
    user = await authenticate({b"x-api-key": b"key-two"}, "/threads")
    assert user["permissions"] == ["api"]
    assert user["identity"].startswith("service:") and "key-two" not in user["identity"]


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), ({b"x-api-key": b"wrong"}, 403), ({b"x-api-key": b""}, 401)]
)
async def test_missing_or_wrong_key_is_refused(headers: dict, status: int) -> None:
    with pytest.raises(Auth.exceptions.HTTPException) as caught:
        await authenticate(headers, "/runs/wait")
    assert caught.value.status_code == status


async def test_no_keys_configured_refuses_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_API_KEYS", " , ")
    with pytest.raises(Auth.exceptions.HTTPException) as caught:
        await authenticate({b"x-api-key": b"key-one"}, "/threads")
    assert caught.value.status_code == 401


async def test_webhook_and_health_paths_get_no_api_permission() -> None:
    hook = await authenticate({}, "/webhooks/jira")
    assert hook == {"identity": "webhook:jira", "permissions": ["webhook"]}
    assert (await authenticate({}, "/health"))["permissions"] == []
    with pytest.raises(Auth.exceptions.HTTPException):
        await authenticate({}, "/webhooks/jira/../../threads")


async def test_aegra_style_call_with_str_headers_only() -> None:
    assert (await authenticate({"x-api-key": "key-one"}))["permissions"] == ["api"]
    with pytest.raises(Auth.exceptions.HTTPException):
        await authenticate({"x-api-key": "nope"})


async def test_resources_require_the_api_permission() -> None:
    def ctx(permissions: list[str]) -> Auth.types.AuthContext:
        return Auth.types.AuthContext(permissions=permissions, user=None, resource="threads", action="create")

    assert await require_api_permission(ctx(["api"]), {}) is True
    assert await require_api_permission(ctx(["webhook"]), {}) is False


async def test_studio_session_only_in_studio_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    studio = Auth.types.AuthContext(
        permissions=[], user=StudioUser("langgraph-studio-user"), resource="threads", action="search"
    )
    monkeypatch.delenv("HELPDESK_STUDIO", raising=False)
    assert await require_api_permission(studio, {}) is False
    monkeypatch.setenv("HELPDESK_STUDIO", "true")
    assert await require_api_permission(studio, {}) is True
