"""Jira Cloud platform v3 + JSM servicedeskapi sandbox: issues, ADF comments, transitions, request comments.

Contract (CONTRACTS.md §2): basic (email + API token) or bearer auth; request bodies are validated
against the vendor's OpenAPI document (`tools.itsm.specs`) and ADF structure, errors as ErrorCollection;
comments 201, transitions 204, transitions listed from the current status with workflow-specific ids
(different per project here, so a client cannot get away with a hard-coded id); the JSM request
comment takes a plain-text body and a `public` flag. Rate-limit headers: X-RateLimit-Limit/-Remaining,
-NearLimit below 20 %, and on 429 Retry-After, an ISO 8601 X-RateLimit-Reset and RateLimit-Reason.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tools.itsm.adf import adf_problems, adf_to_text, text_to_adf
from tools.itsm.sandbox.faults import RateState
from tools.itsm.sandbox.store import JiraComment, JiraIssue, SandboxStore, now_iso
from tools.itsm.specs import validate_request

EMAIL, API_TOKEN, BEARER = "helpdesk@example.com", "sandbox-jira-token", "sandbox-jira-bearer"
COMMENT_LIMIT = 5000  # per-issue comment limit: 413 beyond it
STATUSES = {
    "Open": ("1", "new"),
    "In Progress": ("3", "indeterminate"),
    "Waiting for customer": ("10002", "indeterminate"),
    "Resolved": ("5", "done"),
    "Closed": ("6", "done"),
}
WORKFLOW = (  # (transition name, to, from statuses)
    ("Start progress", "In Progress", ("Open", "Waiting for customer")),
    ("Wait for customer", "Waiting for customer", ("Open", "In Progress")),
    ("Resolve", "Resolved", ("Open", "In Progress", "Waiting for customer")),
    ("Reopen", "Open", ("Resolved", "Closed")),
    ("Close", "Closed", ("Resolved",)),
)


def _base(request: Request) -> str:
    """This API's own base URL (the mount prefix included), for `self` and `Location` links."""
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "") + "/"


def error(
    status: int, messages: list[str], errors: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"errorMessages": messages, "errors": errors or {}}, status_code=status, headers=headers)


def _authenticated(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    if auth == f"Bearer {BEARER}":
        return True
    if auth.startswith("Basic "):
        try:
            return base64.b64decode(auth[6:]).decode() == f"{EMAIL}:{API_TOKEN}"
        except ValueError:
            return False
    return False


def _transition_ids(key: str) -> dict[str, str]:
    """Workflow-specific ids: they differ by project, like real workflows."""
    base = 11 + zlib.crc32(key.rsplit("-", 1)[0].encode()) % 80 * 10
    return {name: str(base + i) for i, (name, _, _) in enumerate(WORKFLOW)}


class JiraPlatform:
    name = "jira"

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    def authenticate(self, request: Request) -> Response | None:
        if _authenticated(request):
            return None
        return error(401, ["You are not authenticated. Authentication required to perform this operation."])

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return error(status, [message], headers=headers)

    def rate_headers(self, state: RateState | None) -> dict[str, str]:
        if state is None:
            return {}
        headers = {"X-RateLimit-Limit": str(state.limit), "X-RateLimit-Remaining": str(state.remaining)}
        if state.remaining < 0.2 * state.limit:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers

    def too_many(self, retry_after_s: int, state: RateState | None) -> Response:
        reset = (datetime.now(UTC) + timedelta(seconds=retry_after_s)).strftime("%Y-%m-%dT%H:%MZ")
        headers = {
            "Retry-After": str(retry_after_s),
            "X-RateLimit-Reset": reset,
            "RateLimit-Reason": "jira-burst-based",
        }
        return error(429, ["Rate limit exceeded."], headers=headers)

    def routes(self) -> list[Route]:
        api, jsm = "/rest/api/3/issue/{key}", "/rest/servicedeskapi/request/{key}/comment"
        return [
            Route(api, self.get_issue, methods=["GET"]),
            Route(f"{api}/comment", self.list_comments, methods=["GET"]),
            Route(f"{api}/comment", self.add_comment, methods=["POST"]),
            Route(f"{api}/comment/{{comment_id}}", self.delete_comment, methods=["DELETE"]),
            Route(f"{api}/transitions", self.list_transitions, methods=["GET"]),
            Route(f"{api}/transitions", self.do_transition, methods=["POST"]),
            Route(jsm, self.add_request_comment, methods=["POST"]),
            Route(jsm, self.list_request_comments, methods=["GET"]),
        ]

    def _issue(self, request: Request) -> JiraIssue | None:
        with self.store.lock:
            return self.store.issues.get(request.path_params["key"])

    @staticmethod
    def _not_found() -> Response:
        return error(404, ["Issue does not exist or you do not have permission to see it."])

    async def _json(self, request: Request) -> tuple[Any, Response | None]:
        if "application/json" not in request.headers.get("content-type", ""):
            return None, JSONResponse({"message": "Unsupported Media Type"}, status_code=415)
        try:
            return json.loads(await request.body()), None
        except ValueError:
            return None, error(400, ["Unexpected character in the request body: not JSON."])

    def _spec_check(self, request: Request, body: Any) -> Response | None:
        problems = validate_request("jira", request.method, request.url.path.removeprefix("/jira"), body) or []
        if isinstance(body, dict) and "body" in body and request.url.path.endswith("/comment"):
            problems += adf_problems(body["body"])
        if problems:
            return error(400, [], {"comment" if "comment" in request.url.path else "request": "; ".join(problems)})
        return None

    async def get_issue(self, request: Request) -> Response:
        issue = self.store.issue(request.path_params["key"])  # created on first sight
        status_id, category = STATUSES[issue.status]
        return JSONResponse(
            {
                "id": issue.id,
                "key": issue.key,
                "self": f"{_base(request)}rest/api/3/issue/{issue.id}",
                "fields": {"status": {"id": status_id, "name": issue.status, "statusCategory": {"key": category}}},
            }
        )

    def _comment_json(self, request: Request, issue: JiraIssue, c: JiraComment) -> dict[str, Any]:
        shaped = {
            "id": c.id,
            "self": f"{_base(request)}rest/api/3/issue/{issue.id}/comment/{c.id}",
            "author": {"accountId": "557058:sandbox", "displayName": "Helpdesk Integration"},
            "body": c.adf,
            "created": c.created,
            "updated": c.created,
            "jsdPublic": c.public,
        }
        if c.visibility:
            shaped["visibility"] = c.visibility
        return shaped

    async def list_comments(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self._not_found()
        start = int(request.query_params.get("startAt") or 0)
        size = min(int(request.query_params.get("maxResults") or 100), 100)
        with self.store.lock:
            comments = list(issue.comments)
        if request.query_params.get("orderBy") == "-created":
            comments.reverse()
        page = [self._comment_json(request, issue, c) for c in comments[start : start + size]]
        return JSONResponse({"comments": page, "startAt": start, "maxResults": size, "total": len(comments)})

    async def add_comment(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self._not_found()
        body, problem = await self._json(request)
        problem = problem or self._spec_check(request, body)
        if problem:
            return problem
        if len(issue.comments) >= COMMENT_LIMIT:
            return error(413, ["The issue has reached its comment limit."])
        public = not (
            body.get("visibility")
            or any(
                p.get("key") == "sd.public.comment" and (p.get("value") or {}).get("internal")
                for p in body.get("properties") or []
            )
        )
        comment = JiraComment(
            str(self.store.next_id()),
            body["body"],
            adf_to_text(body["body"]),
            public,
            now_iso(),
            body.get("visibility"),
        )
        with self.store.lock:
            issue.comments.append(comment)
        return JSONResponse(self._comment_json(request, issue, comment), status_code=201)

    async def delete_comment(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self._not_found()
        with self.store.lock:
            kept = [c for c in issue.comments if c.id != request.path_params["comment_id"]]
            found = len(kept) != len(issue.comments)
            issue.comments[:] = kept
        return Response(status_code=204) if found else error(404, ["Cannot find comment with id."])

    def _available(self, issue: JiraIssue, request: Request) -> list[dict[str, Any]]:
        ids = _transition_ids(issue.key)
        out = []
        for name, to, sources in WORKFLOW:
            if issue.status in sources:
                status_id, category = STATUSES[to]
                out.append(
                    {
                        "id": ids[name],
                        "name": name,
                        "hasScreen": False,
                        "isAvailable": True,
                        "to": {"id": status_id, "name": to, "statusCategory": {"key": category}},
                    }
                )
        return out

    async def list_transitions(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self._not_found()
        return JSONResponse({"transitions": self._available(issue, request)})

    async def do_transition(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return self._not_found()
        body, problem = await self._json(request)
        problem = problem or self._spec_check(request, body)
        if problem:
            return problem
        wanted = str((body.get("transition") or {}).get("id") or "")
        match = next((t for t in self._available(issue, request) if t["id"] == wanted), None)
        if match is None:
            return error(400, [f"Transition id '{wanted}' is not valid for this issue."])
        with self.store.lock:
            issue.status = match["to"]["name"]
        return Response(status_code=204)

    # --- JSM servicedeskapi ----------------------------------------------------------------------------
    async def add_request_comment(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return JSONResponse({"errorMessage": "Request does not exist."}, status_code=404)
        body, problem = await self._json(request)
        if problem:
            return problem
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"].strip():
            return JSONResponse({"errorMessage": "The comment body is required."}, status_code=400)
        if "public" in body and not isinstance(body["public"], bool):
            return JSONResponse({"errorMessage": "'public' must be a boolean."}, status_code=400)
        public = body.get("public", True)
        comment = JiraComment(str(self.store.next_id()), text_to_adf(body["body"]), body["body"], public, now_iso())
        with self.store.lock:
            issue.comments.append(comment)
        return JSONResponse(self._dto(request, comment), status_code=201)

    async def list_request_comments(self, request: Request) -> Response:
        issue = self._issue(request)
        if issue is None:
            return JSONResponse({"errorMessage": "Request does not exist."}, status_code=404)
        want_public = request.query_params.get("public", "true") == "true"
        want_internal = request.query_params.get("internal", "true") == "true"
        start = int(request.query_params.get("start") or 0)
        limit = int(request.query_params.get("limit") or 50)
        with self.store.lock:
            chosen = [c for c in issue.comments if (c.public and want_public) or (not c.public and want_internal)]
        values = [self._dto(request, c) for c in chosen[start : start + limit]]
        return JSONResponse(
            {
                "size": len(values),
                "start": start,
                "limit": limit,
                "isLastPage": start + limit >= len(chosen),
                "values": values,
            }
        )

    @staticmethod
    def _dto(request: Request, c: JiraComment) -> dict[str, Any]:
        created = datetime.strptime(c.created, "%Y-%m-%dT%H:%M:%S.000+0000").replace(tzinfo=UTC)
        return {
            "id": c.id,
            "body": c.text,
            "public": c.public,
            "author": {"accountId": "557058:sandbox", "displayName": "Helpdesk Integration"},
            "created": {
                "iso8601": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "jira": c.created,
                "friendly": "Today",
                "epochMillis": int(created.timestamp() * 1000),
            },
            "_links": {"self": f"{_base(request)}rest/servicedeskapi/request/comment/{c.id}"},
        }
