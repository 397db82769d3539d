"""The grounding check of tailored notes: article steps and commands pass, anything invented fails."""

from __future__ import annotations

from typing import Any

import pytest

from tools.llm.grounding import article_steps, command_tokens, grounding_problems

ARTICLE: dict[str, Any] = {
    "id": "NET-007",
    "title": {"en": "Network adapter lost its address", "de": "Netzwerkadapter ohne Adresse"},
    "symptoms": ["Limited connectivity", "Address starts with 169.254"],
    "diagnostics": [
        "Run `ipconfig /all` and note the IPv4 address",
        "Check C:\\Windows\\System32\\drivers\\etc\\hosts",
    ],
    "steps": [
        {
            "en": "Open a Command Prompt as administrator and run `ipconfig /release` then `ipconfig /renew`.",
            "de": "Öffnen Sie die Eingabeaufforderung als Administrator und führen Sie `ipconfig /release` "
            "und dann `ipconfig /renew` aus.",
        },
        {
            "en": "Unplug the network cable, wait ten seconds and plug it in again.",
            "de": "Ziehen Sie das Netzwerkkabel ab, warten Sie zehn Sekunden und stecken Sie es wieder ein.",
        },
        {
            "en": "Restart the computer if the address still starts with 169.254.",
            "de": "Starten Sie den Computer neu, wenn die Adresse weiterhin mit 169.254 beginnt.",
        },
    ],
    "escalate": "Escalate when the whole floor has no address.",
    "keywords": {"en": ["dhcp", "169.254"], "de": ["dhcp"]},
}
DRAFT = (
    "Hello,\n"
    "1. Open a Command Prompt as administrator and run `ipconfig /release` then `ipconfig /renew`.\n"
    "2. Unplug the network cable, wait ten seconds and plug it in again.\n"
    "3. Restart the computer if the address still starts with 169.254.\n"
    "Article: NET-007"
)


def note(*steps: str, intro: str = "Hello,", cite: str = "Article: NET-007") -> str:
    numbered = [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    return "\n".join([intro, *numbered, cite])


@pytest.mark.parametrize(
    "tailored",
    [
        DRAFT,
        note(  # reordered, one dropped
            "Unplug the network cable, wait ten seconds and plug it in again.",
            "Open a Command Prompt as administrator and run `ipconfig /release` then `ipconfig /renew`.",
        ),
        note(  # shortened, with a tailored opening
            "Unplug the network cable, wait ten seconds, plug it in again.",
            "Restart the computer if the address still starts with 169.254.",
            intro="Hello, your laptop shows a 169.254 address, so it got no address from the network.",
        ),
        note(  # German from the German steps
            "Ziehen Sie das Netzwerkkabel ab, warten Sie zehn Sekunden und stecken Sie es wieder ein.",
            "Starten Sie den Computer neu, wenn die Adresse weiterhin mit 169.254 beginnt.",
            intro="Hallo,",
            cite="Artikel: NET-007",
        ),
        note(  # a command from the article's diagnostics
            "Open a Command Prompt as administrator and run `ipconfig /release` then `ipconfig /renew`.",
            intro="Hello, `ipconfig /all` showed the 169.254 address.",
        ),
    ],
    ids=["draft", "reordered", "shortened", "german", "diagnostic-command"],
)
def test_grounded_notes_pass(tailored: str) -> None:
    language = "de" if "Hallo" in tailored else "en"
    draft = DRAFT.replace("Article: NET-007", "Artikel: NET-007") if language == "de" else DRAFT
    assert grounding_problems(tailored, ARTICLE, language, draft) == []


@pytest.mark.parametrize(
    ("tailored", "problem"),
    [
        (note("Reinstall the network driver from the vendor's website."), "not one of the article's steps"),
        (
            note("Unplug the network cable, wait ten seconds and plug it in again, then disable the firewall."),
            "not one of the article's steps",
        ),
        (note("Open a Command Prompt as administrator and run `netsh winsock reset`."), "command"),
        (note("Open a Command Prompt as administrator and run ipconfig /flushdns then ipconfig /renew."), "command"),
        (note("Restart the computer.", intro="Hello, edit HKLM\\System\\CurrentControlSet first."), "command"),
        (note("Restart the computer.", intro="Hello, see https://example.com/fix for details."), "command"),
        (note("Restart the computer.", cite="Thanks"), "no longer cited"),
        ("Hello, please restart your computer.\nArticle: NET-007", "steps were dropped"),
        (note("Restart the computer.", intro="Hello. " + "Some reassuring words. " * 30), "prose"),
    ],
    ids=["new-step", "appended-advice", "new-command", "new-flag", "registry", "url", "uncited", "no-steps", "prose"],
)
def test_invented_content_fails(tailored: str, problem: str) -> None:
    problems = grounding_problems(tailored, ARTICLE, "en", DRAFT)
    assert any(problem in p for p in problems), problems


def test_a_german_note_may_use_english_steps_but_not_french_ones() -> None:
    english = note("Unplug the network cable, wait ten seconds and plug it in again.", intro="Hallo,")
    french = note("Débranchez le câble réseau, attendez dix secondes et rebranchez-le.", intro="Hallo,")
    assert grounding_problems(english, ARTICLE, "de", DRAFT) == []
    assert grounding_problems(french, ARTICLE, "de", DRAFT) != []


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (["One.", "Two."], ["One.", "Two."]),
        ([{"en": "One.", "de": "Eins."}, {"en": "Two."}], ["Eins.", "One.", "Two."]),
        ({"de": ["Eins."], "en": ["One."]}, ["Eins.", "One."]),
        (None, []),
    ],
)
def test_article_steps_accepts_every_shape(steps: Any, expected: list[str]) -> None:
    assert sorted(article_steps({"steps": steps}, ("de", "en"))) == sorted(expected)


def test_command_tokens_are_commands_not_prose() -> None:
    found = command_tokens(
        "Run `ipconfig /all`, then dhclient -r and --renew; see /etc/resolv.conf, C:\\Temp\\x, "
        "setup.exe, dns=1.1.1.1 and https://intra.example/x. TCP/IP and/or Wi-Fi are fine, e-mail too."
    )
    assert found == {
        "ipconfig /all",
        "-r",
        "--renew",
        "/etc/resolv.conf",
        "C:\\Temp\\x",
        "setup.exe",
        "dns=1.1.1.1",
        "https://intra.example/x",
    }
