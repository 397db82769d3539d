"""A scripted chat model for graph tests that must exercise the LLM cascade without HTTP.

Use with `tools.llm.chat.set_chat_model_override` (or the `scripted_llm` helper below) and a context with
`model="openai:<anything>"`. Each invoke plays the next scripted item: an `AIMessage` (e.g. a tool call
from `routing_call`), a plain string, or an exception to raise (e.g. `openai.APITimeoutError`).
`bind_tools` accepts any tools, so `with_structured_output(..., method="function_calling")` parses the
scripted tool calls exactly as it parses a real model's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from tools.llm.chat import set_chat_model_override

ScriptItem = AIMessage | str | BaseException


class ScriptedChatModel(GenericFakeChatModel):
    """Plays `script` in order and records every prompt it was sent in `prompts`."""

    messages: Iterator[Any]  # AIMessage | str | BaseException, one per invoke
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        """Tool schemas are irrelevant to a script: the scripted tool calls are the answer."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        item = next(self.messages)
        if isinstance(item, BaseException):
            raise item
        message = AIMessage(content=item) if isinstance(item, str) else item
        return ChatResult(generations=[ChatGeneration(message=message)])


def scripted(*items: ScriptItem) -> ScriptedChatModel:
    """A model that answers with `items`, one per call; a further call raises StopIteration."""
    return ScriptedChatModel(messages=iter(items))


def routing_call(category: str, confidence: float, reason: str, *, tokens: tuple[int, int] = (120, 20)) -> AIMessage:
    """The tool call a model makes for `tools.llm.route.LLMRouting`."""
    return AIMessage(
        content="",
        tool_calls=[
            {
                "name": "LLMRouting",
                "args": {"category": category, "confidence": confidence, "reason": reason},
                "id": "call_scripted",
            }
        ],
        usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)},
    )


@contextmanager
def scripted_llm(*items: ScriptItem) -> Iterator[ScriptedChatModel]:
    """Route every LLM-enabled run in the block to a scripted model; always clears the override."""
    model = scripted(*items)
    set_chat_model_override(model)
    try:
        yield model
    finally:
        set_chat_model_override(None)
