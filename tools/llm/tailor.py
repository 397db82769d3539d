"""A specialist's optional LLM step: tailor the draft note to the ticket, grounded only in the article.

The LLM sees the article's steps, the draft (built from the article by the offline path) and the masked
ticket between markers. Its note is kept only when `tools.llm.grounding` finds every step and command in
the article; otherwise, and on any failure, the caller sends the draft. The result is still validated by
the specialist's note validator like any other note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from graph.context import Context
from tools.llm.calls import invoke_counted
from tools.llm.chat import LLMConfigError, chat_model
from tools.llm.grounding import article_steps, grounding_problems
from tools.llm.prompting import framed_ticket, prompt


@dataclass
class TailorResult:
    """The grounded note (None when the draft should be used), why not, and what the call cost."""

    note: str | None
    error: str | None
    calls: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})


def tailor_note(
    article: Mapping[str, Any], ticket_text: str, language: str, draft_note: str, context: Context
) -> str | None:
    """The tailored note, or None to keep the draft. Never raises."""
    return tailor(article, ticket_text, language, draft_note, context).note


def tailor(
    article: Mapping[str, Any], ticket_text: str, language: str, draft_note: str, context: Context
) -> TailorResult:
    """Ask the LLM to tailor `draft_note`, then keep its note only if it is grounded in `article`."""
    try:
        model = chat_model(context)
        messages = _messages(article, ticket_text, language, draft_note)
    except LLMConfigError as exc:
        return TailorResult(None, f"LLM not usable: {exc}")
    except Exception as exc:  # a malformed article must cost the draft nothing
        return TailorResult(None, f"cannot build the request: {type(exc).__name__}")
    if model is None:
        return TailorResult(None, "no LLM configured (model is 'local')")
    run = invoke_counted(model, messages, raw_message=lambda out: out)
    if run.error is not None:
        return TailorResult(None, run.error, run.calls, run.usage)
    note = _text(run.output).strip()
    if not note:
        return TailorResult(None, "empty answer", run.calls, run.usage)
    try:
        problems = grounding_problems(note, article, language, draft_note)
    except Exception as exc:
        return TailorResult(None, f"grounding check failed: {type(exc).__name__}", run.calls, run.usage)
    if problems:
        return TailorResult(None, "not grounded: " + "; ".join(dict.fromkeys(problems)), run.calls, run.usage)
    return TailorResult(note, None, run.calls, run.usage)


def _messages(article: Mapping[str, Any], ticket_text: str, language: str, draft_note: str) -> list[BaseMessage]:
    steps = article_steps(article, (language,)) or article_steps(article, ("en",))
    if not steps:
        raise ValueError("the article has no steps")
    numbered = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    request = (
        f"Language: {language}\n"
        f"Article {article.get('id', '')}: {_title(article, language)}\n"
        f"Article steps:\n{numbered}\n\n"
        f"Draft note:\n{draft_note}\n\n"
        f"{framed_ticket(ticket_text)}"
    )
    return [SystemMessage(prompt("tailor_system")), HumanMessage(request)]


def _title(article: Mapping[str, Any], language: str) -> str:
    title = article.get("title", "")
    if isinstance(title, Mapping):
        return str(title.get(language) or title.get("en") or "")
    return str(title)


def _text(message: Any) -> str:
    text = getattr(message, "text", "")
    return text if isinstance(text, str) else ""
