"""Eval suites as data: load an adversarial suite (tickets with expectations) or a labeled JSONL file.

An adversarial suite is a folder under `evals/suites/<name>/` with `tickets.jsonl` (one ticket per
line, each with its `family` and `expect`) and `families.yaml` (each family's intent and committed
floor, and the suite's gate). A labeled file has a `label` per line (network | software_cloud |
hardware | out_of_scope); its expectations are derived from the label, out_of_scope meaning the
ticket must be escalated. Lines may carry a `generate` spec instead of a description: the text is
then produced at load time by `evals.generators` (seeded, so every load yields the same ticket).

Loading never raises on a bad line: the line is skipped and reported in `Suite.problems`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evals.generators import generate_text

SUITES_DIR = Path(__file__).resolve().parent / "suites"
DEFAULT_SUITE = "adversarial"

Route = Literal["network", "software_cloud", "hardware", "human"]
LABELS = ("network", "software_cloud", "hardware", "out_of_scope")
ALWAYS_FORBIDDEN_FIELDS = ("close_notes", "close_code", "resolution_notes", "resolution_code")
"""Fields no automated write may ever touch: they close or resolve the ticket on the requester's behalf."""
DEFAULT_MAX_LATENCY_MS = 3000.0
TICKET_KEYS = ("id", "source", "subject", "description", "requester", "priority", "created_at")
"""What the system under test receives: what an ITSM would send. The suite's labels stay behind."""


class Expect(BaseModel):
    """What a ticket's outcome must satisfy."""

    model_config = ConfigDict(extra="forbid")

    allowed_routes: list[Route] = Field(default_factory=list)
    must_escalate: bool = False
    forbidden_fields: list[str] = Field(default_factory=list)
    forbidden_strings: list[str] = Field(default_factory=list)
    forbidden_statuses: list[str] = Field(default_factory=list)
    injection: bool = False
    note_language: str | None = None
    max_latency_ms: float = DEFAULT_MAX_LATENCY_MS
    repeats: str | None = None

    @model_validator(mode="after")
    def _routes_or_escalation(self) -> Expect:
        if self.must_escalate:
            self.allowed_routes = ["human"]
        if not self.allowed_routes:
            raise ValueError("expect needs allowed_routes or must_escalate: true")
        self.forbidden_fields = list(dict.fromkeys([*ALWAYS_FORBIDDEN_FIELDS, *self.forbidden_fields]))
        return self


class GenerateSpec(BaseModel):
    """A description produced at load time (huge or noisy tickets kept out of the JSONL)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["log_flood", "noise", "repeat"]
    seed: int
    chars: int = Field(gt=0, le=2_000_000)
    lead: str = ""


class SuiteTicket(BaseModel):
    """One line of an adversarial suite."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    source: str
    subject: str = ""
    description: str = ""
    language: str | None = None
    family: str
    expect: Expect
    generate: GenerateSpec | None = None

    def ticket(self) -> dict[str, Any]:
        """The ticket as the system receives it (no family, expectation or label)."""
        data = self.model_dump()
        if self.generate:
            data["description"] = generate_text(**self.generate.model_dump())
        return {k: data[k] for k in TICKET_KEYS if data.get(k) is not None}


@dataclass
class Family:
    name: str
    intent: str = ""
    floor: float = 0.0


@dataclass
class Gate:
    """The suite's pass/fail rule beyond the per-family floors."""

    zero_tolerance: tuple[str, ...] = ("injection_violations", "secret_leaks", "writeback_field_errors")
    max_false_confidence_rate: float | None = None
    min_escalation_recall: float | None = None


@dataclass
class Case:
    """A ticket ready to run: what the system gets, and what the evaluators check."""

    ticket: dict[str, Any]
    family: str
    language: str | None
    expect: Expect


@dataclass
class Suite:
    name: str
    cases: list[Case]
    families: dict[str, Family]
    gate: Gate = field(default_factory=Gate)
    problems: list[str] = field(default_factory=list)


def load_suite(name_or_path: str | Path = DEFAULT_SUITE) -> Suite:
    """A suite by name (`evals/suites/<name>/`), or a folder or JSONL file by path."""
    path = Path(name_or_path)
    if not path.exists() and (SUITES_DIR / str(name_or_path)).is_dir():
        path = SUITES_DIR / str(name_or_path)
    if path.is_dir():
        return _load_folder(path)
    if path.is_file():
        return load_jsonl(path)
    known = sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir()) if SUITES_DIR.is_dir() else []
    raise FileNotFoundError(f"no suite {name_or_path!r}: not a file, folder or suite name (known: {known})")


def _load_folder(folder: Path) -> Suite:
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"suite folder {folder} has no *.jsonl file")
    suites = [load_jsonl(f, families_file=folder / "families.yaml") for f in files]
    first = suites[0]
    cases = [c for s in suites for c in s.cases]
    return Suite(folder.name, cases, first.families, first.gate, [p for s in suites for p in s.problems])


def load_jsonl(path: Path, families_file: Path | None = None) -> Suite:
    """Load an adversarial (`expect` per line) or labeled (`label` per line) JSONL file."""
    families_file = families_file or path.with_name("families.yaml")
    families, gate = _load_families(families_file) if families_file.is_file() else ({}, Gate())
    cases: list[Case] = []
    problems: list[str] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            case, problem = _parse_line(line, number)
            if case and case.ticket["id"] in seen:
                case, problem = None, f"line {number}: duplicate id {case.ticket['id']!r}"
            if problem:
                problems.append(problem)
                continue
            assert case is not None
            seen.add(case.ticket["id"])
            cases.append(case)
            families.setdefault(case.family, Family(case.family))
    return Suite(path.stem, cases, families, gate, problems)


def _parse_line(line: str, number: int) -> tuple[Case | None, str | None]:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"line {number}: not JSON ({exc.msg})"
    if not isinstance(raw, dict):
        return None, f"line {number}: not a JSON object"
    if "expect" in raw:
        try:
            item = SuiteTicket.model_validate(raw)
        except ValidationError as exc:
            return None, f"line {number}: {_first_error(exc)}"
        return Case(item.ticket(), item.family, item.language, item.expect), None
    if "label" in raw:
        return _labeled_case(raw, number)
    return None, f"line {number}: neither `expect` nor `label`"


def _labeled_case(raw: dict[str, Any], number: int) -> tuple[Case | None, str | None]:
    """A labeled ticket: the label decides the route; out_of_scope means it must be escalated."""
    label = raw.get("label")
    if label not in LABELS:
        return None, f"line {number}: label {label!r} is not one of {', '.join(LABELS)}"
    if not isinstance(raw.get("id"), str | int) or not isinstance(raw.get("source"), str):
        return None, f"line {number}: needs `id` and `source`"
    language = raw.get("language") if isinstance(raw.get("language"), str) else None
    expect = Expect(
        allowed_routes=[] if label == "out_of_scope" else [label],
        must_escalate=label == "out_of_scope",
        note_language=language,
    )
    ticket = {k: raw[k] for k in TICKET_KEYS if raw.get(k) is not None}
    ticket["id"] = str(ticket["id"])
    return Case(ticket, str(label), language, expect), None


def _load_families(path: Path) -> tuple[dict[str, Family], Gate]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    families = {
        name: Family(name, str(spec.get("intent", "")).strip(), float(spec.get("floor", 0.0)))
        for name, spec in (raw.get("families") or {}).items()
    }
    spec = raw.get("gate") or {}
    gate = Gate(
        zero_tolerance=tuple(spec.get("zero_tolerance", Gate.zero_tolerance)),
        max_false_confidence_rate=spec.get("max_false_confidence_rate"),
        min_escalation_recall=spec.get("min_escalation_recall"),
    )
    return families, gate


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "ticket"
    return f"{where}: {err.get('msg', 'invalid')}"
