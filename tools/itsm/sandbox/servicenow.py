"""ServiceNow Table API sandbox (`/api/now[/v2]/table/...`): incident and sys_journal_field.

Contract (CONTRACTS.md §1): basic or bearer auth, `{"error": {"message","detail"}, "status": "failure"}`;
Accept and Content-Type required on writes (400 otherwise); a v2 list query matching nothing is 200 `[]`
(here an unknown number is created on first sight instead, seeding the sandbox from the run); PATCH
appends journal entries for `work_notes` / `comments`, which read back empty on the record and live in
`sys_journal_field`; unknown fields and `sys_*` fields are ignored; a close_code outside the choice list is
silently dropped, and resolving (6) or closing (7) without close code and close notes is a 403
data-policy exception; a read-only user gets an ACL 403. Rate-limit headers only when a rule is set.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tools.itsm.sandbox.faults import RateState
from tools.itsm.sandbox.store import SandboxStore, now_sn

USER, PASSWORD, TOKEN = "helpdesk.integration", "sandbox-password", "sandbox-servicenow-token"
READONLY_USER = "helpdesk.readonly"
CLOSE_CODES = frozenset(
    {
        "Duplicate",
        "Known error",
        "No resolution provided",
        "Resolved by caller",
        "Resolved by change",
        "Resolved by problem",
        "Resolved by request",
        "Solution provided",
        "Workaround provided",
    }
)
JOURNAL = ("work_notes", "comments")
LABELS = {"close_code": "Resolution code", "close_notes": "Resolution notes"}
RULE_ID = "0f5d5a1e1b2f4d10a9c8e6b0d4f2a7c9"


def error(status: int, message: str, detail: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return JSONResponse(body, status_code=status, headers=headers)


def _user(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth == f"Bearer {TOKEN}":
        return USER
    if auth.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None
        if password == PASSWORD and user in {USER, READONLY_USER}:
            return user
    return None


class ServiceNowPlatform:
    name = "servicenow"

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    def authenticate(self, request: Request) -> Response | None:
        if _user(request) is None:
            return error(401, "User Not Authenticated", "Required to provide Auth information")
        return None

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return error(status, message, "", headers)

    def rate_headers(self, state: RateState | None) -> dict[str, str]:
        if state is None:
            return {}
        return {
            "X-RateLimit-Limit": str(state.limit),
            "X-RateLimit-Reset": str(int(state.reset_at)),
            "X-RateLimit-Rule": RULE_ID,
        }

    def too_many(self, retry_after_s: int, state: RateState | None) -> Response:
        limit = state.limit if state else 100
        headers = {"Retry-After": str(retry_after_s), "X-RateLimit-Reset": str(int(time.time()) + retry_after_s)}
        detail = f"Rate limit of {limit} requests per hour for Table API exceeded"
        return error(429, "Rate limit exceeded", detail, headers)

    # --- routes ------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        routes = []
        for base in ("/api/now/table", "/api/now/v2/table", "/api/now/v1/table"):
            routes += [
                Route(f"{base}/incident", self.list_incidents, methods=["GET"]),
                Route(f"{base}/incident/{{sys_id}}", self.get_incident, methods=["GET"]),
                Route(f"{base}/incident/{{sys_id}}", self.patch_incident, methods=["PATCH", "PUT"]),
                Route(f"{base}/sys_journal_field", self.list_journal, methods=["GET"]),
            ]
        return routes

    async def list_incidents(self, request: Request) -> Response:
        conditions = _conditions(request.query_params.get("sysparm_query", ""))
        number = next((v for f, op, v in conditions if f == "number" and op == "="), None)
        if number is not None:
            self.store.incident(number)
        with self.store.lock:
            rows = [r for r in self.store.incidents.values() if _matches(r, conditions)]
        limit = int(request.query_params.get("sysparm_limit") or 10000)
        return self._result([self._shape(r, request) for r in rows[:limit]])

    async def get_incident(self, request: Request) -> Response:
        with self.store.lock:
            record = self.store.incidents.get(request.path_params["sys_id"])
        if record is None:
            return error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        return self._result(self._shape(record, request))

    async def patch_incident(self, request: Request) -> Response:
        if "application/json" not in request.headers.get("content-type", "") or not request.headers.get("accept"):
            return error(400, "Invalid request", "Accept and Content-Type: application/json are required")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return error(400, "Exception while reading request", "The payload is not JSON")
        if not isinstance(body, dict):
            return error(400, "Exception while reading request", "The payload must be a JSON object")
        with self.store.lock:
            record = self.store.incidents.get(request.path_params["sys_id"])
            self.store.servicenow_field_writes.update(body.keys())
        if record is None:
            return error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        user = _user(request) or USER
        if user == READONLY_USER:
            return error(403, "Operation Failed", "ACL Exception Update Failed due to security constraints")
        rejection = self._apply(record, body, user)
        return rejection or self._result(self._shape(record, request))

    def _apply(self, record: dict[str, Any], body: dict[str, Any], user: str) -> Response | None:
        updates = {k: str(v) for k, v in body.items() if k in record and not k.startswith("sys_") and k not in JOURNAL}
        if updates.get("close_code") not in (None, *CLOSE_CODES):
            updates.pop("close_code")  # not in the choice list: silently dropped, as the platform does
        merged = {**record, **updates}
        if merged["state"] in {"6", "7"}:
            missing = [LABELS[f] for f in ("close_code", "close_notes") if not merged[f]]
            if missing:
                detail = f"Data Policy Exception: The following fields are mandatory: {', '.join(missing)}"
                return error(403, "Operation Failed", detail)
        with self.store.lock:
            record.update(updates, sys_updated_on=now_sn())
        for element in JOURNAL:
            value = body.get(element)
            if isinstance(value, str) and value.strip():
                self.store.add_journal(record["sys_id"], element, value, user)
        return None

    async def list_journal(self, request: Request) -> Response:
        conditions = _conditions(request.query_params.get("sysparm_query", ""))
        with self.store.lock:
            rows = [r for r in self.store.journal if _matches(r, conditions)]
        order = request.query_params.get("sysparm_query", "")
        if "ORDERBYDESCsys_created_on" in order:
            rows.reverse()
        limit = int(request.query_params.get("sysparm_limit") or 10000)
        return self._result([_fields(r, request) for r in rows[:limit]])

    def _shape(self, record: dict[str, Any], request: Request) -> dict[str, Any]:
        """The record as the Table API returns it: journal fields empty, or rendered with display values."""
        shaped = {**record, "work_notes": "", "comments": ""}
        if request.query_params.get("sysparm_display_value") in {"true", "all"}:
            with self.store.lock:
                rows = [r for r in self.store.journal if r["element_id"] == record["sys_id"]]
            for element, label in (("work_notes", "Work notes"), ("comments", "Additional comments")):
                entries = [r for r in reversed(rows) if r["element"] == element]
                shaped[element] = "".join(
                    f"{r['sys_created_on']} - {r['sys_created_by']} ({label})\n{r['value']}\n\n" for r in entries
                )
        return _fields(shaped, request)

    @staticmethod
    def _result(result: Any) -> Response:
        return JSONResponse({"result": result})


def _fields(record: dict[str, Any], request: Request) -> dict[str, Any]:
    wanted = request.query_params.get("sysparm_fields")
    if not wanted:
        return dict(record)
    return {f: record[f] for f in wanted.split(",") if f in record}  # invalid names are ignored


def _conditions(query: str) -> list[tuple[str, str, str]]:
    """`field=value`, `fieldINa,b`, `fieldLIKEtext` joined by `^`; ORDERBY clauses are not filters."""
    out = []
    for part in filter(None, query.split("^")):
        if part.startswith("ORDERBY"):
            continue
        for op in ("LIKE", "IN", "="):
            field, sep, value = part.partition(op)
            if sep and field and field.isidentifier():
                out.append((field, op, value))
                break
    return out


def _matches(record: dict[str, Any], conditions: list[tuple[str, str, str]]) -> bool:
    for field, op, value in conditions:
        if field not in record:
            continue  # an unknown field in sysparm_query is silently ignored (CONTRACTS.md §1.1)
        actual = str(record[field])
        if (op == "=" and actual != value) or (op == "IN" and actual not in value.split(",")):
            return False
        if op == "LIKE" and value.lower() not in actual.lower():
            return False
    return True
