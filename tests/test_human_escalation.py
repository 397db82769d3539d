"""Acknowledgements in the ticket's language and the reviewer-decision contract."""

from __future__ import annotations

import pytest

from nodes.human_escalation import acknowledgement, internal_note, normalise_decision


@pytest.mark.parametrize(
    ("language", "fragment"),
    [("en", "received"), ("de", "erhalten"), ("es", "recibido"), ("fr", "reçu"), ("pt", "recebemos")],
)
def test_acknowledgement_is_in_the_ticket_language(language: str, fragment: str) -> None:
    text = acknowledgement("INC0001", ["out_of_scope"], language)
    assert fragment in text and "INC0001" in text


@pytest.mark.parametrize(
    ("language", "fragment"),
    [("en", "security"), ("de", "Sicherheit"), ("es", "seguridad"), ("fr", "sécurité"), ("pt", "segurança")],
)
def test_a_security_incident_is_acknowledged_as_one(language: str, fragment: str) -> None:
    assert fragment in acknowledgement("INC0002", ["security_incident"], language)


def test_unknown_language_falls_back_to_english_and_reasons_are_merged() -> None:
    text = acknowledgement("X", ["low_confidence", "weak_match", "missing_info"], "it")
    assert text.startswith("Thank you")
    assert text.count("we want a specialist to look at it") == 1 and "more details" in text


def test_internal_note_never_shows_a_secret_from_the_draft() -> None:
    note = internal_note(
        {
            "escalation": {"reasons": ["injection"]},
            "specialist": {"agent": "Jon", "outcome": "resolve", "resolution": "use password: Hunter2!x"},
            "screening": {"secrets": [{"kind": "password", "start": 0, "end": 1}], "language": "en"},
        }
    )
    assert "Hunter2!x" not in note and "1 secrets" in note


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("approve", "approve"),
        ({"decision": "edit", "note": "Try again"}, "edit"),
        ({"decision": "edit", "note": " "}, "take_over"),
        ({"decision": "reassign", "category": "hardware"}, "reassign"),
        ({"decision": "reassign", "category": "finance"}, "take_over"),
        ({"decision": "delete everything"}, "take_over"),
        (42, "take_over"),
    ],
)
def test_review_decisions_are_validated(answer: object, expected: str) -> None:
    assert normalise_decision(answer)["decision"] == expected
