"""Freshservice v2 sandbox: tickets, notes, replies, conversations, with Freshservice's error schema.

Contract (CONTRACTS.md §3): basic auth with the API key as user name (any password); JSON only (415
otherwise); bodies validated against Freshworks' Swagger (`tools.itsm.specs`), answered on failure with
`{"description": "Validation failed", "errors": [{"field","message","code"}]}`; status 2-5 and priority
1-4 only; notes and replies 201 with a Location header; conversations listed 30 per page; deletion at
`/api/v2/conversations/{id}` (live docs) and at the Swagger's nested path. Every answer carries
X-RateLimit-Total / -Remaining / -Used-CurrentRequest when a limit is configured; 429 adds Retry-After.
"""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tools.itsm.freshservice import VALID_PRIORITY, VALID_STATUS
from tools.itsm.sandbox.faults import RateState
from tools.itsm.sandbox.store import Conversation, FreshTicket, SandboxStore, now_z
from tools.itsm.specs import validate_request

API_KEY = "sandbox-freshservice-key"
PAGE = 30
_TAG = re.compile(r"<[^>]+>")
_READONLY = re.compile(r"^(\S+): read-only in the spec$")


def _base(request: Request) -> str:
    """This API's own base URL (the mount prefix included), for `self` and `Location` links."""
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "") + "/"


def validation_failed(errors: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"description": "Validation failed", "errors": errors}, status_code=400)


def _text(body: str) -> str:
    return html.unescape(_TAG.sub(" ", body.replace("<br>", "\n"))).strip()


class FreshservicePlatform:
    name = "freshservice"

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    def authenticate(self, request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        try:
            user = base64.b64decode(auth[6:]).decode().partition(":")[0] if auth.startswith("Basic ") else ""
        except ValueError:
            user = ""
        if user == API_KEY:
            return None
        if "@" in user:
            body = {
                "code": "unsupported_authentication_type",
                "message": "Basic auth with username/password is deprecated.",
            }
            return JSONResponse(body, status_code=401)
        return JSONResponse(
            {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."},
            status_code=401,
        )

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"code": "internal_error", "message": message}, status_code=status, headers=headers)

    def rate_headers(self, state: RateState | None) -> dict[str, str]:
        headers = {"X-Freshservice-Api-Version": "latest=v2; requested=v2"}
        if state is not None:
            headers |= {
                "X-RateLimit-Total": str(state.limit),
                "X-RateLimit-Remaining": str(state.remaining),
                "X-RateLimit-Used-CurrentRequest": "1",
            }
        return headers

    def too_many(self, retry_after_s: int, state: RateState | None) -> Response:
        body = {"message": "The API rate limit allotted for your Freshservice domain has been exhausted"}
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after_s)})

    def routes(self) -> list[Route]:
        t = "/api/v2/tickets/{ticket_id:int}"
        return [
            Route(t, self.get_ticket, methods=["GET"]),
            Route(t, self.update_ticket, methods=["PUT"]),
            Route(f"{t}/notes", self.add_note, methods=["POST"]),
            Route(f"{t}/reply", self.add_reply, methods=["POST"]),
            Route(f"{t}/conversations", self.list_conversations, methods=["GET"]),
            Route(f"{t}/conversations/{{conversation_id:int}}", self.delete_conversation, methods=["DELETE"]),
            Route("/api/v2/conversations/{conversation_id:int}", self.delete_conversation, methods=["DELETE"]),
        ]

    @staticmethod
    def _not_found() -> Response:
        return JSONResponse(
            {"code": "access_denied", "message": "The requested ticket was not found."}, status_code=404
        )

    def _ticket(self, request: Request) -> FreshTicket | None:
        with self.store.lock:
            return self.store.fresh.get(request.path_params["ticket_id"])

    async def _body(self, request: Request) -> tuple[Any, Response | None]:
        content_type = request.headers.get("content-type", "")
        if "application/json" not in content_type:
            message = f"Content-Type header is set to {content_type}. It should be set to application/json"
            return None, JSONResponse({"code": "invalid_content_type", "message": message}, status_code=415)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None, validation_failed([{"field": "", "message": "Invalid JSON", "code": "invalid_json"}])
        problems = validate_request(
            "freshservice", request.method, request.url.path.removeprefix("/freshservice"), body
        )
        errors = []
        for problem in problems or []:
            readonly = _READONLY.match(problem)
            field, _, message = problem.partition(": ")
            errors.append(
                {
                    "field": readonly.group(1) if readonly else field,
                    "message": message,
                    "code": "readonly_field" if readonly else "datatype_mismatch",
                }
            )
        return body, validation_failed(errors) if errors else None

    def _ticket_json(self, ticket: FreshTicket) -> dict[str, Any]:
        return {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "source": 2,
            "type": "Incident",
            "custom_fields": {},
            "updated_at": ticket.updated_at,
        }

    async def get_ticket(self, request: Request) -> Response:
        ticket = self.store.fresh_ticket(request.path_params["ticket_id"])  # created on first sight
        return JSONResponse({"ticket": self._ticket_json(ticket)})

    async def update_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return self._not_found()
        body, problem = await self._body(request)
        if problem:
            return problem
        errors = []
        if "status" in body and body["status"] not in VALID_STATUS:
            errors.append(
                {"field": "status", "message": "It should be one of these values: '2,3,4,5'", "code": "invalid_value"}
            )
        if "priority" in body and body["priority"] not in VALID_PRIORITY:
            errors.append(
                {"field": "priority", "message": "It should be one of these values: '1,2,3,4'", "code": "invalid_value"}
            )
        if errors:
            return validation_failed(errors)
        with self.store.lock:
            ticket.status = int(body.get("status", ticket.status))
            ticket.priority = int(body.get("priority", ticket.priority))
            ticket.updated_at = now_z()
        return JSONResponse({"ticket": self._ticket_json(ticket)})

    async def _add(self, request: Request, *, note: bool) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return self._not_found()
        body, problem = await self._body(request)
        if problem:
            return problem
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            return validation_failed(
                [{"field": "body", "message": "It should be a/an String", "code": "missing_field"}]
            )
        conv = Conversation(
            self.store.next_id(),
            ticket.id,
            body["body"],
            _text(body["body"]),
            bool(body.get("private", True)) if note else False,
            2 if note else 0,
            now_z(),
        )
        with self.store.lock:
            self.store.conversations[ticket.id].append(conv)
        location = f"{_base(request)}api/v2/conversations/{conv.id}"
        return JSONResponse({"conversation": self._conv_json(conv)}, status_code=201, headers={"Location": location})

    async def add_note(self, request: Request) -> Response:
        return await self._add(request, note=True)

    async def add_reply(self, request: Request) -> Response:
        return await self._add(request, note=False)

    @staticmethod
    def _conv_json(c: Conversation) -> dict[str, Any]:
        return {
            "id": c.id,
            "ticket_id": c.ticket_id,
            "user_id": 1000000493,
            "body": c.body,
            "body_text": c.body_text,
            "private": c.private,
            "incoming": False,
            "source": c.source,
            "to_emails": [],
            "attachments": [],
            "created_at": c.created_at,
            "updated_at": c.created_at,
        }

    async def list_conversations(self, request: Request) -> Response:
        ticket = self._ticket(request)
        if ticket is None:
            return self._not_found()
        page = max(1, int(request.query_params.get("page") or 1))
        with self.store.lock:
            convs = self.store.conversations[ticket.id][(page - 1) * PAGE : page * PAGE]
        return JSONResponse({"conversations": [self._conv_json(c) for c in convs]})

    async def delete_conversation(self, request: Request) -> Response:
        wanted = request.path_params["conversation_id"]
        with self.store.lock:
            for convs in self.store.conversations.values():
                for i, conv in enumerate(convs):
                    if conv.id == wanted:
                        del convs[i]
                        return Response(status_code=204)
        return JSONResponse({"code": "access_denied", "message": "The conversation was not found."}, status_code=404)
