"""LangSmith tracing against a local collector: metadata, redaction, nothing when off, prompt exit when down."""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import langsmith
import pytest
import uvicorn
from langgraph.graph import END, START, StateGraph
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tools import tracing

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Hunter2!xq"
TICKET = {
    "id": "JSM-4242",
    "source": "jira",
    "subject": "VPN drops every 10 minutes",
    "description": f"My VPN disconnects all the time. My password: {PASSWORD} and mail me at ana.lopez@example.com",
}


# --- a tiny LangSmith stand-in ------------------------------------------------------------------


class Collector:
    """Implements what the langsmith client calls: GET /info, POST /runs/multipart and /runs/batch."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.paths: list[str] = []
        self.runs: dict[str, dict[str, Any]] = {}
        self.app = Starlette(
            routes=[
                Route("/info", self.info, methods=["GET"]),
                Route("/runs/multipart", self.multipart, methods=["POST"]),
                Route("/runs/batch", self.batch, methods=["POST"]),
            ]
        )

    async def info(self, request: Request) -> JSONResponse:
        self.paths.append(request.url.path)
        # as LangSmith does: compressed uploads offered (the client must still send plain multipart)
        return JSONResponse({"version": "collector", "instance_flags": {"zstd_compression_enabled": True}})

    async def multipart(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.paths.append(request.url.path)
        self.raw.append(body)
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = json.loads(part.get_payload(decode=True) or b"null")
            _op, run_id, *field = name.split(".")
            run = self.runs.setdefault(run_id, {"id": run_id})
            if field:
                run[field[0]] = payload
            else:
                run.update(payload)
        return JSONResponse({}, status_code=202)

    async def batch(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.paths.append(request.url.path)
        self.raw.append(body)
        data = json.loads(body)
        for run in [*data.get("post", []), *data.get("patch", [])]:
            self.runs.setdefault(str(run["id"]), {}).update(run)
        return JSONResponse({}, status_code=202)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def collector() -> Iterator[tuple[Collector, str]]:
    app = Collector()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app.app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield app, f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def tracing_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start and end each test with a fresh tracing client and langsmith's global switches cleared."""
    tracing.tracing_client.cache_clear()
    yield
    client = tracing.tracing_client() if tracing.tracing_enabled() else None
    if client is not None:
        client.flush(timeout=5)
    tracing.tracing_client.cache_clear()
    langsmith.configure(client=None, enabled=None)


def _enable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_ENDPOINT", url)
    monkeypatch.setenv("LANGSMITH_API_KEY", "test-key")


# --- a small graph with the helpdesk's shape ------------------------------------------------------


class S(TypedDict, total=False):
    ticket: dict[str, Any]
    routing: dict[str, Any]
    note: str
    result: dict[str, Any]


def small_graph() -> Any:
    """coordinator -> jon (a subgraph) -> servicenow_writeback: the shape of a resolved ticket's run."""

    def coordinator(state: S) -> S:
        return {"routing": {"category": "network", "model": "local:router", "model_version": "7"}}

    def diagnose(state: S) -> S:
        return {"note": f"Seen: {state['ticket']['description']}"}

    sub = StateGraph(S)
    sub.add_node("diagnose", diagnose)
    sub.add_edge(START, "diagnose")
    sub.add_edge("diagnose", END)

    def writeback(state: S) -> S:
        return {"result": {"id": state["ticket"]["id"], "category": "network", "agent": "Jon", "note": state["note"]}}

    graph = StateGraph(S)
    graph.add_node("coordinator", coordinator)
    graph.add_node("jon", sub.compile())
    graph.add_node("servicenow_writeback", writeback)
    graph.add_edge(START, "coordinator")
    graph.add_edge("coordinator", "jon")
    graph.add_edge("jon", "servicenow_writeback")
    graph.add_edge("servicenow_writeback", END)
    return graph.compile(name="helpdesk")


# --- unit behaviour -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"LANGSMITH_TRACING": "true"}, False),  # nowhere to send
        ({"LANGSMITH_TRACING": "true", "LANGSMITH_API_KEY": "k"}, True),
        ({"LANGCHAIN_TRACING_V2": "true", "LANGSMITH_ENDPOINT": "http://127.0.0.1:1"}, True),
        ({"LANGSMITH_TRACING": "false", "LANGSMITH_API_KEY": "k"}, False),
    ],
)
def test_tracing_enabled_needs_the_flag_and_a_target(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool
) -> None:
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY", "LANGSMITH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tracing.tracing_enabled() is expected


def test_run_config_names_the_ticket_and_its_routing() -> None:
    config = tracing.run_config(
        TICKET, {"category": "network", "model": "openai:gpt-4o-mini", "model_version": "2024-07-18"}, mode="sandbox"
    )
    assert config["metadata"] == {
        "ticket_id": "JSM-4242",
        "source": "jira",
        "category": "network",
        "agent": "Jon",
        "model": "openai:gpt-4o-mini",
        "model_version": "2024-07-18",
        "mode": "sandbox",
    }
    assert set(config["tags"]) == {"helpdesk", "source:jira", "category:network", "agent:Jon"}
    assert tracing.run_config({"id": 7})["metadata"] == {"ticket_id": "7"}


def test_redact_tree_masks_every_string_at_any_depth() -> None:
    value = {"a": [f"password: {PASSWORD}", {"b": ("x@example.com", 3)}], "n": 1.5, "none": None}
    out = tracing.redact_tree(value)
    assert PASSWORD not in json.dumps(out) and "example.com" not in json.dumps(out)
    assert out["n"] == 1.5 and out["none"] is None and out["a"][1]["b"][1] == 3


# --- against the collector ------------------------------------------------------------------------


def test_one_run_yields_the_run_tree_with_metadata_and_redaction(
    collector: tuple[Collector, str], monkeypatch: pytest.MonkeyPatch, tracing_env: None
) -> None:
    app, url = collector
    _enable(monkeypatch, url)
    graph = small_graph()
    with tracing.traced(TICKET, thread_id="t-1") as trace:
        assert trace.enabled
        state = graph.invoke({"ticket": TICKET}, config=trace.config)
        trace.finish(state)
    tracing.tracing_client().flush(timeout=10)

    runs = app.runs
    by_name: dict[str, list[dict[str, Any]]] = {}
    for run in runs.values():
        by_name.setdefault(run.get("name", "?"), []).append(run)
    for name in ("helpdesk ticket", "helpdesk", "coordinator", "jon", "diagnose", "servicenow_writeback"):
        assert name in by_name, f"{name} missing from {sorted(by_name)}"
    root = by_name["helpdesk ticket"][0]
    assert root.get("parent_run_id") is None
    ids = {run["id"] for run in runs.values()}
    assert all(run.get("trace_id") == root["id"] for run in runs.values())
    assert all(run.get("parent_run_id") in ids for run in runs.values() if run is not root)
    # the subgraph's node hangs under the specialist node
    diagnose = by_name["diagnose"][0]
    chain = []
    parent = diagnose.get("parent_run_id")
    while parent:
        chain.append(runs[parent].get("name"))
        parent = runs[parent].get("parent_run_id")
    assert "jon" in chain and chain[-1] == "helpdesk ticket"

    root_meta = root["extra"]["metadata"]
    assert {k: root_meta.get(k) for k in ("ticket_id", "source", "category", "agent", "model", "model_version")} == {
        "ticket_id": "JSM-4242",
        "source": "jira",
        "category": "network",
        "agent": "Jon",
        "model": "local:router",
        "model_version": "7",
    }
    assert root_meta["thread_id"] == "t-1"
    for run in runs.values():
        assert run["extra"]["metadata"]["ticket_id"] == "JSM-4242", run.get("name")
        assert "source:jira" in (run.get("tags") or []), run.get("name")

    sent = b"".join(app.raw)
    assert PASSWORD.encode() not in sent and b"ana.lopez" not in sent
    assert b"[REDACTED:password]" in sent and b"[REDACTED:email]" in sent


def test_the_real_helpdesk_graph_is_traced_with_its_nodes(
    collector: tuple[Collector, str], monkeypatch: pytest.MonkeyPatch, tracing_env: None
) -> None:
    try:
        from graph.context import Context
        from graph.runner import batch_graph

        graph = batch_graph()
    except Exception as exc:  # the graph is built by other issues; this test follows it when it exists
        pytest.skip(f"the helpdesk graph cannot be built here yet: {type(exc).__name__}: {exc}")
    app, url = collector
    _enable(monkeypatch, url)
    with tracing.traced(TICKET) as trace:
        state = graph.invoke(
            {"ticket": TICKET},
            config=trace.config,
            context=Context(writeback_mode="dry_run", review_with_interrupt=False),
        )
        trace.finish(state)
    tracing.tracing_client().flush(timeout=10)
    names = {run.get("name") for run in app.runs.values()}
    assert {"helpdesk ticket", "intake", "coordinator", "finalize"} <= names
    assert names & {"jon", "june", "maya", "human_escalation"}
    assert names & {"servicenow_writeback", "jira_writeback", "freshservice_writeback"}
    assert PASSWORD.encode() not in b"".join(app.raw)


def test_nothing_is_sent_when_tracing_is_off(
    collector: tuple[Collector, str], monkeypatch: pytest.MonkeyPatch, tracing_env: None
) -> None:
    app, url = collector
    monkeypatch.setenv("LANGSMITH_ENDPOINT", url)
    monkeypatch.setenv("LANGSMITH_API_KEY", "test-key")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    graph = small_graph()
    with tracing.traced(TICKET) as trace:
        assert not trace.enabled
        trace.finish(graph.invoke({"ticket": TICKET}, config=trace.config))
    time.sleep(0.3)  # anything queued would have left by now
    assert app.paths == []


# --- exit safety, measured in a child process ----------------------------------------------------

RUNS_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from typing import TypedDict
    from langgraph.graph import END, START, StateGraph
    from tools import tracing

    class S(TypedDict, total=False):
        text: str
        out: str

    sub = StateGraph(S)
    sub.add_node("inner", lambda s: {"out": s["text"].upper()})
    sub.add_edge(START, "inner")
    sub.add_edge("inner", END)
    g = StateGraph(S)
    g.add_node("coordinator", lambda s: {"text": s["text"] + "!"})
    g.add_node("specialist", sub.compile())
    g.add_edge(START, "coordinator")
    g.add_edge("coordinator", "specialist")
    g.add_edge("specialist", END)
    graph = g.compile()

    if sys.argv[2] == "dies":  # reachable at the probe, gone for every run after it
        tracing.tracing_client()
        server.should_exit = True
        thread.join()
    start = time.time()
    for i in range(int(sys.argv[1])):
        with tracing.traced({"id": f"T{i}", "source": "jira"}) as trace:
            trace.finish(graph.invoke({"text": "password: Secr3t!x9"}, config=trace.config))
    print(json.dumps({"end": time.time(), "runs_s": time.time() - start}), flush=True)
    """
)

DYING_SERVER = textwrap.dedent(
    """
    import socket, threading, time, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ok(request):
        return JSONResponse({"instance_flags": {"zstd_compression_enabled": True}})

    app = Starlette(routes=[Route("/info", ok), Route("/runs/multipart", ok, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    import os
    os.environ["LANGSMITH_ENDPOINT"] = "http://127.0.0.1:%d" % sock.getsockname()[1]
    """
)


def _exit_delay(tmp_path: Path, endpoint: str, mode: str, runs: int = 200) -> tuple[float, float, str]:
    """Seconds between the child's last traced run and its exit, the runs' duration, and stderr."""
    script = tmp_path / "runs.py"
    script.write_text((DYING_SERVER if mode == "dies" else "") + RUNS_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    env |= {"LANGSMITH_TRACING": "true", "LANGSMITH_ENDPOINT": endpoint, "LANGSMITH_API_KEY": "test-key"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, str(script), str(runs), mode],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    exited = time.time()
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return exited - out["end"], out["runs_s"], proc.stderr


@pytest.mark.slow
def test_unreachable_endpoint_adds_under_two_seconds_to_exit_after_200_runs(tmp_path: Path) -> None:
    delay, runs_s, stderr = _exit_delay(tmp_path, f"http://127.0.0.1:{_free_port()}", "closed")
    print(f"closed port: 200 runs in {runs_s:.2f} s, exit delay {delay:.2f} s")
    assert delay < 2.0
    assert "unreachable" in stderr and stderr.count("\n") < 5  # one warning, not a traceback per batch


@pytest.mark.slow
def test_endpoint_lost_after_startup_still_exits_promptly(tmp_path: Path) -> None:
    delay, runs_s, stderr = _exit_delay(tmp_path, "http://127.0.0.1:1", "dies")
    print(f"endpoint gone after the probe: 200 runs in {runs_s:.2f} s, exit delay {delay:.2f} s")
    assert delay < tracing.DEFAULT_FLUSH_S + 2.0
    assert "upload failed" in stderr and stderr.count("\n") < 5  # said once, not per batch


@pytest.mark.slow
def test_endpoint_that_never_answers_is_given_up_at_startup(tmp_path: Path) -> None:
    with socket.socket() as hole:  # accepts connections (backlog) but never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(256)
        delay, runs_s, stderr = _exit_delay(tmp_path, f"http://127.0.0.1:{hole.getsockname()[1]}", "hole")
    print(f"silent endpoint: 200 runs in {runs_s:.2f} s (incl. the 1 s probe), exit delay {delay:.2f} s")
    assert delay < 2.0
    assert runs_s < tracing.PROBE_TIMEOUT_S + 5.0
    assert "unreachable" in stderr
