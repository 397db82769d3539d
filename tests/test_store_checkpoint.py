"""The checkpointer from the store setting: a paused review survives the process and resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from tests.test_store import store_url  # noqa: F401  (the sqlite / postgres fixture)
from tools.store.checkpoint import async_checkpointer, checkpoint_path, checkpointer

ROOT = Path(__file__).resolve().parent.parent

RESUME = textwrap.dedent(
    """
    import json, sys
    from langgraph.types import Command
    from tests.test_store_checkpoint import review_graph
    from tools.store.checkpoint import checkpointer

    config = {"configurable": {"thread_id": "ticket-42"}}
    with checkpointer(sys.argv[1]) as saver:
        graph = review_graph().compile(checkpointer=saver)
        out = graph.invoke(Command(resume={"decision": "approve"}), config)
        print(json.dumps({"out": out, "next": list(graph.get_state(config).next)}))
    """
)


class S(TypedDict, total=False):
    ticket: str
    decision: str
    done: bool


def _review(state: S) -> S:
    return {"decision": interrupt({"ticket": state["ticket"]})["decision"]}


def review_graph() -> StateGraph:
    """review (interrupts) -> finish: a paused human review in miniature."""
    builder = StateGraph(S)
    builder.add_node("review", _review)
    builder.add_node("finish", lambda state: {"done": True})
    builder.add_edge(START, "review")
    builder.add_edge("review", "finish")
    builder.add_edge("finish", END)
    return builder


def _resume_in_new_process(tmp_path: Path, url: str) -> dict[str, Any]:
    script = tmp_path / "resume.py"
    script.write_text(RESUME, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(script), url], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_an_interrupted_thread_resumes_in_a_new_process(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    config = {"configurable": {"thread_id": "ticket-42"}}
    with checkpointer(store_url) as saver:
        graph = review_graph().compile(checkpointer=saver)
        out = graph.invoke({"ticket": "T-42"}, config)
        assert "__interrupt__" in out and graph.get_state(config).next == ("review",)
    resumed = _resume_in_new_process(tmp_path, store_url)
    assert resumed["out"] == {"ticket": "T-42", "decision": "approve", "done": True}
    assert resumed["next"] == []


def test_sqlite_checkpoints_live_beside_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/deep/helpdesk.db"
    assert checkpoint_path(url) == f"{tmp_path}/deep/helpdesk.checkpoints.sqlite"
    with checkpointer(url) as saver:
        assert saver.get_tuple({"configurable": {"thread_id": "none"}}) is None
    assert (tmp_path / "deep" / "helpdesk.checkpoints.sqlite").exists()


async def test_the_async_checkpointer_resumes_after_reopening(store_url: str) -> None:  # noqa: F811
    builder = review_graph()
    config = {"configurable": {"thread_id": "async-1"}}
    async with async_checkpointer(store_url) as saver:
        out = await builder.compile(checkpointer=saver).ainvoke({"ticket": "T-7"}, config)
        assert "__interrupt__" in out
    async with async_checkpointer(store_url) as saver:
        graph = builder.compile(checkpointer=saver)
        assert (await graph.aget_state(config)).next == ("review",)
        out = await graph.ainvoke(Command(resume={"decision": "reassign"}), config)
    assert out == {"ticket": "T-7", "decision": "reassign", "done": True}
