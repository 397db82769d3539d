"""The vendored specs are faithful trims of the vendors' documents, and request validation bites."""

from __future__ import annotations

import json

import pytest

from tests.test_itsm_support import full_spec
from tools.itsm.specs import SPEC_FILES, SPECS_DIR, load_spec, trim_spec, validate_request


@pytest.mark.parametrize("name", ["jira", "freshservice"])
def test_vendored_copy_is_the_trim_of_the_full_document(name: str) -> None:
    trimmed = trim_spec(name, full_spec(name))  # type: ignore[arg-type]
    assert json.loads(json.dumps(trimmed)) == load_spec(name)  # type: ignore[arg-type]
    assert (SPECS_DIR / SPEC_FILES[name]).stat().st_size < 200_000


def test_jira_comment_schema_rejects_bad_visibility_and_read_only_fields() -> None:
    path = "/rest/api/3/issue/SUP-1/comment"
    assert validate_request("jira", "POST", path, {"body": {"type": "doc", "version": 1, "content": []}}) == []
    problems = validate_request("jira", "POST", path, {"body": {}, "visibility": {"type": "team"}, "jsdPublic": False})
    assert problems and any("visibility.type" in p for p in problems)
    assert any("jsdPublic: read-only" in p for p in problems)


def test_jira_transition_id_must_be_a_string_and_query_params_declared() -> None:
    path = "/rest/api/3/issue/SUP-1/transitions"
    assert validate_request("jira", "POST", path, {"transition": {"id": "31"}}) == []
    assert validate_request("jira", "POST", path, {"transition": {"id": 31}})
    comments = "/rest/api/3/issue/SUP-1/comment"
    assert validate_request("jira", "GET", comments, None, {"orderBy": "created"}) == []
    assert validate_request("jira", "GET", comments, None, {"orderBy": "newest"})
    assert validate_request("jira", "GET", comments, None, {"sort": "x"})


def test_freshservice_types_and_uncovered_operations() -> None:
    assert (
        validate_request("freshservice", "POST", "/api/v2/tickets/7/notes", {"body": "<p>x</p>", "private": True}) == []
    )
    assert validate_request("freshservice", "PUT", "/api/v2/tickets/7", {"status": "open"})
    assert validate_request("freshservice", "POST", "/api/v2/tickets/7/notes", {"body": "x", "id": 3})
    assert validate_request("freshservice", "DELETE", "/api/v2/conversations/9", None) is None
