"""Per-node latency accounting, kept in state so the store and the benchmark can read it."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.types import Command

F = TypeVar("F", bound=Callable[..., Any])


def timed(node: str) -> Callable[[F], F]:
    """Append `{"node", "ms"}` to the `timings` channel of whatever update the node returns."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            timing = [{"node": node, "ms": round((time.perf_counter() - start) * 1000, 3), **_tokens(out)}]
            if isinstance(out, Command):
                update = dict(out.update or {})
                update["timings"] = update.get("timings", []) + timing
                return Command(goto=out.goto, update=update, graph=out.graph, resume=out.resume)
            return {**(out or {}), "timings": (out or {}).get("timings", []) + timing}

        return inner  # type: ignore[return-value]

    return wrap


def _tokens(out: Any) -> dict[str, int]:
    """Token usage a node reported under the private `_usage` key (LLM paths only)."""
    update = out.update if isinstance(out, Command) else out
    usage = (update or {}).pop("_usage", None) if isinstance(update, dict) else None
    return {"tokens_in": usage.get("input_tokens", 0), "tokens_out": usage.get("output_tokens", 0)} if usage else {}
