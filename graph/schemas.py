"""Pydantic models that validate the graph's boundaries: the incoming ticket and Lola's decision."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from graph.state import Category

MAX_FIELD_CHARS = 100_000
"""Longest subject or description kept; longer text is truncated (and the truncation recorded)."""

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def clean_text(value: str) -> str:
    """NFC-normalise, drop zero-width and control characters (keeping newlines and tabs)."""
    value = unicodedata.normalize("NFC", value).translate(_ZERO_WIDTH)
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")


class Ticket(BaseModel):
    """A ticket as the graph accepts it. Unknown fields are kept in `extra`."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    source: Literal["servicenow", "jira", "freshservice"]
    subject: str = ""
    description: str = ""
    requester: str | None = None
    priority: str | None = None
    created_at: str | None = None
    language: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce_input(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a ticket must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        if isinstance(data.get("source"), str):
            data["source"] = data["source"].strip().lower()
        for key in ("subject", "description"):
            if data.get(key) is None:
                data[key] = ""
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_scalar(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("id must be a string (or an integer)")
        return str(value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority_may_be_numeric(cls, value: Any) -> Any:
        """Freshservice and some ServiceNow exports send numeric priorities."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("subject", "description", "requester", "priority", "created_at", "language")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value)[:MAX_FIELD_CHARS]

    def as_state(self) -> dict[str, Any]:
        """The `TicketDict` kept in state: declared fields plus an `extra` dict of the rest."""
        data = self.model_dump(exclude=set(self.model_extra or {}))
        data["extra"] = dict(self.model_extra or {})
        return data


class RoutingDecisionModel(BaseModel):
    """Lola's decision: the category, how sure, and why (the evidence)."""

    category: Category
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str = Field(min_length=1)


def describe_validation_error(exc: Exception) -> str:
    """One readable line from a pydantic ValidationError (or any exception)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for err in errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "ticket"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return "; ".join(parts)
    return str(exc)
