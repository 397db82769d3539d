"""Run-time settings: the graph's `context_schema`.

Every field can be set per run (`graph.invoke(..., context=Context(...))` or the server API's
`context`), and otherwise from the environment as `HELPDESK_<FIELD>` (upper case), else the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Literal

WritebackMode = Literal["dry_run", "sandbox", "live"]


@dataclass(kw_only=True)
class Context:
    """Settings a run may change without touching code."""

    model: str = field(
        default="local",
        metadata={"description": "'local' (embedded model only) or 'openai:<model>' to add an LLM cascade."},
    )
    llm_base_url: str | None = field(
        default=None, metadata={"description": "OpenAI-compatible endpoint; None uses OPENAI_BASE_URL."}
    )
    llm_timeout_s: float = field(default=20.0, metadata={"description": "Timeout of one LLM call."})
    llm_max_retries: int = field(default=2, metadata={"description": "Retries of one LLM call."})
    risk_target: float = field(
        default=0.05,
        metadata={"description": "Target false-confidence rate of auto-routing; selects the calibrated threshold."},
    )
    confidence_threshold: float | None = field(
        default=None,
        metadata={"description": "Explicit auto-route threshold; None derives it from risk_target."},
    )
    runbook_precision_target: float = field(
        default=0.65,
        metadata={
            "description": "Share of resolutions whose runbook must fit the ticket; selects the specialists' "
            "threshold on the fit gate's cross-validated precision (certified now for 0.6-0.9; a target the labels "
            "cannot certify resolves nothing). At 0.65 the blind probes' resolutions cite a fitting runbook 0.66-0.78 "
            "of the time; raise it to trade resolutions for precision."
        },
    )
    specialist_min_confidence: float | None = field(
        default=None,
        metadata={
            "description": "Explicit fit probability a specialist needs to resolve; None derives it from "
            "runbook_precision_target."
        },
    )
    writeback_mode: WritebackMode = field(
        default="dry_run", metadata={"description": "dry_run builds payloads only; sandbox or live writes."}
    )
    customer_visible_ack: bool = field(
        default=False,
        metadata={"description": "Also post the customer-visible acknowledgement (comments / reply)."},
    )
    ask_requester: bool = field(
        default=False,
        metadata={
            "description": "Post a specialist's questions for missing facts to the requester and set the ticket "
            "to pending, instead of escalating them to a reviewer. Off: incomplete tickets go to a person."
        },
    )
    support_private_devices: bool = field(
        default=False,
        metadata={
            "description": "Treat private devices, lines and accounts (a home router, a private laptop, a "
            "personal Gmail account) like company ones, as a vendor's customer support does. Off, for an "
            "internal desk: a ticket about one that gives no work link goes to a person."
        },
    )
    store: str = field(
        default="sqlite:///.helpdesk/helpdesk.db",
        metadata={"description": "Store URL: sqlite:///PATH or postgresql://..."},
    )
    review_with_interrupt: bool = field(
        default=True,
        metadata={"description": "Pause escalations with interrupt() when a checkpointer is present."},
    )

    def __post_init__(self) -> None:
        """Fill fields left at their default from `HELPDESK_<FIELD>` environment variables."""
        for f in fields(self):
            env = os.environ.get(f"HELPDESK_{f.name.upper()}")
            if env is None or getattr(self, f.name) != f.default:
                continue
            setattr(self, f.name, _coerce(env, f.default))


def _coerce(raw: str, default: object) -> object:
    """Turn an environment string into the type of the field's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float) or (default is None and _is_number(raw)):
        return float(raw)
    return raw


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
