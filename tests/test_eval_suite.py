"""The suite loader (adversarial and labeled formats) and the committed adversarial suite itself."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from evals.generators import generate_text
from evals.suite import ALWAYS_FORBIDDEN_FIELDS, SUITES_DIR, load_jsonl, load_suite
from tests.support.overlap import SHARED_EVAL, shingles

ADVERSARIAL = SUITES_DIR / "adversarial"
PROBES = SUITES_DIR.parent / "probes"


@pytest.fixture(scope="module")
def suite():  # type: ignore[no-untyped-def]
    return load_suite("adversarial")


def test_suite_size_families_and_sources(suite) -> None:  # type: ignore[no-untyped-def]
    assert suite.problems == []
    assert len(suite.cases) >= 250
    families = Counter(c.family for c in suite.cases)
    assert len(families) >= 12 and min(families.values()) >= 10
    assert {c.ticket["source"] for c in suite.cases} == {"servicenow", "jira", "freshservice"}
    assert {"de", "es", "fr", "pt"} <= {c.language for c in suite.cases}
    assert len({c.ticket["id"] for c in suite.cases}) == len(suite.cases)


def test_ids_look_like_each_systems_ids(suite) -> None:  # type: ignore[no-untyped-def]
    """Realistic keys, so write-back planning treats suite tickets like real ones."""
    patterns = {"servicenow": r"INC\d{7}", "jira": r"[A-Z][A-Z0-9]+-\d+", "freshservice": r"\d+"}
    for case in suite.cases:
        assert re.fullmatch(patterns[case.ticket["source"]], case.ticket["id"]), case.ticket["id"]


def test_every_family_is_declared_with_intent_and_floor(suite) -> None:  # type: ignore[no-untyped-def]
    declared = yaml.safe_load((ADVERSARIAL / "families.yaml").read_text(encoding="utf-8"))["families"]
    assert set(declared) == {c.family for c in suite.cases}
    for name, family in suite.families.items():
        assert len(family.intent) > 40, name
        assert 0.0 <= family.floor <= 1.0, name
    assert suite.gate.zero_tolerance == ("injection_violations", "secret_leaks", "writeback_field_errors")


def test_expectations_follow_the_label_policy(suite) -> None:  # type: ignore[no-untyped-def]
    for case in suite.cases:
        if case.family in {"security_incident", "out_of_scope"}:
            assert case.expect.must_escalate, case.ticket["id"]
        if case.family == "prompt_injection":
            assert case.expect.injection and case.expect.forbidden_strings, case.ticket["id"]
        if case.family == "secrets_pii":
            assert case.expect.forbidden_strings, case.ticket["id"]
            text = f"{case.ticket['subject']} {case.ticket['description']}"
            assert all(s in text for s in case.expect.forbidden_strings[:1]), case.ticket["id"]
        assert set(ALWAYS_FORBIDDEN_FIELDS) <= set(case.expect.forbidden_fields)
        if case.expect.repeats:
            assert case.expect.repeats in {c.ticket["id"] for c in suite.cases}


def test_tickets_hide_the_answer_from_the_system(suite) -> None:  # type: ignore[no-untyped-def]
    for case in suite.cases:
        assert not {"family", "expect", "language", "generate", "label"} & set(case.ticket)


def test_generated_tickets_are_huge_and_identical_on_every_load(suite) -> None:  # type: ignore[no-untyped-def]
    sizes = sorted(len(c.ticket["description"]) for c in suite.cases)
    assert sizes[-1] >= 1_000_000
    again = {c.ticket["id"]: c.ticket["description"] for c in load_suite("adversarial").cases}
    assert all(again[c.ticket["id"]] == c.ticket["description"] for c in suite.cases)
    assert ADVERSARIAL.joinpath("tickets.jsonl").stat().st_size < 300_000


def test_generators_are_seeded_and_keep_the_lead() -> None:
    text = generate_text("log_flood", seed=3, chars=5000, lead="VPN drops.")
    assert text.startswith("VPN drops.\n\n") and len(text) == len("VPN drops.\n\n") + 5000
    assert text == generate_text("log_flood", seed=3, chars=5000, lead="VPN drops.")
    assert text != generate_text("log_flood", seed=4, chars=5000, lead="VPN drops.")
    assert len(generate_text("noise", seed=1, chars=777)) == 777


def test_labeled_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "labeled.jsonl"
    lines = [
        {"id": 1, "source": "jira", "subject": "VPN", "description": "drops", "language": "en", "label": "network"},
        {"id": "2", "source": "servicenow", "description": "payslip", "language": "de", "label": "out_of_scope"},
        "not json",
        {"id": "3", "source": "jira", "label": "printers"},
        {"source": "jira", "label": "hardware"},
        {"id": "2", "source": "jira", "label": "hardware"},
        [1, 2],
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    suite = load_suite(path)
    assert [c.ticket["id"] for c in suite.cases] == ["1", "2"]
    first, second = suite.cases
    assert first.expect.allowed_routes == ["network"] and not first.expect.must_escalate
    assert second.expect.must_escalate and second.expect.allowed_routes == ["human"]
    assert second.expect.note_language == "de" and second.family == "out_of_scope"
    assert "label" not in first.ticket and "language" not in first.ticket
    assert len(suite.problems) == 5
    assert any("duplicate id" in p for p in suite.problems)
    assert any("printers" in p for p in suite.problems)


def test_adversarial_line_needs_an_expectation(tmp_path: Path) -> None:
    path = tmp_path / "adv.jsonl"
    good = {"id": "A", "source": "jira", "family": "f", "expect": {"allowed_routes": ["hardware"]}}
    bad = {"id": "B", "source": "jira", "family": "f", "expect": {"forbidden_strings": ["x"]}}
    typo = {"id": "C", "source": "jira", "family": "f", "expect": {"allowed_route": ["hardware"]}}
    path.write_text("\n".join(json.dumps(x) for x in (good, bad, typo)), encoding="utf-8")
    suite = load_jsonl(path)
    assert [c.ticket["id"] for c in suite.cases] == ["A"]
    assert len(suite.problems) == 2


def test_unknown_suite_name_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="adversarial"):
        load_suite("no-such-suite")


@pytest.mark.skipif(not SHARED_EVAL.is_file(), reason="../shared/data/eval is not present (only in CI and dev)")
@pytest.mark.parametrize(
    "name",
    [
        "adversarial",
        "boundary.jsonl",
        "oos_it.jsonl",
        "security.jsonl",
        "adjacent.jsonl",
        "fresh.jsonl",
        "new_runbooks.jsonl",
        "fresh2.jsonl",
        "fresh3.jsonl",
        "fresh4.jsonl",
        "fresh5.jsonl",
        "multilingual_adversarial",
    ],
)
def test_no_ticket_is_copied_from_the_evaluation_set(name: str) -> None:
    """Aggregate check only: no suite text shares a subject, a description or an 8-word run with it."""
    suite = load_suite("adversarial" if name == "adversarial" else PROBES / name)
    shared = load_suite(SHARED_EVAL)
    assert len(shared.cases) > 2000  # the labeled format loads the real file
    theirs: set[tuple[str, ...]] = set()
    texts = set()
    for case in shared.cases:
        texts |= {case.ticket.get("subject", "").strip().lower(), case.ticket.get("description", "").strip().lower()}
        theirs |= shingles(case.ticket.get("description", ""))
    texts.discard("")
    ours = [c for c in suite.cases if len(c.ticket.get("description", "")) < 20_000]
    copied = [c for c in ours if {c.ticket.get("subject", "").lower(), c.ticket.get("description", "").lower()} & texts]
    overlapping = [c for c in ours if shingles(c.ticket.get("description", "")) & theirs]
    assert not copied
    assert not overlapping
