"""Scale-out: two Aegra server processes on one PostgreSQL database share threads, runs and interrupts.

A ticket paused for review through process A is listed and resumed through process B.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from tests.e2e.conftest import API_KEY, ROOT, free_port, launch, stop

pytestmark = pytest.mark.slow
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
START_TIMEOUT_S = 60.0


def _postgres_reason() -> str | None:
    if importlib.util.find_spec("aegra_api") is None:
        return "aegra-api is not installed: `uv sync --extra scaleout` installs the scale-out server"
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES}/test", connect_timeout=2).close()
    except psycopg.OperationalError:
        return "no PostgreSQL at 127.0.0.1:5432 (trust auth, database `test`)"
    return None


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    if (reason := _postgres_reason()) is not None:
        pytest.skip(reason)
    import psycopg

    name = f"helpdesk_scaleout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def aegra_config(directory: Path) -> Path:
    """graph/server/aegra.json with its relative paths made absolute (the servers run from `directory`)."""
    source = ROOT / "graph" / "server" / "aegra.json"
    config = json.loads(source.read_text())
    config["dependencies"] = [str((source.parent / d).resolve()) for d in config["dependencies"]]
    config["graphs"] = {
        name: f"{(source.parent / ref.partition(':')[0]).resolve()}:{ref.partition(':')[2]}"
        for name, ref in config["graphs"].items()
    }
    target = directory / "aegra.json"
    target.write_text(json.dumps(config))
    return target


def start_aegra(directory: Path, config: Path, database: str, name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "AEGRA_CONFIG": str(config),
        "DATABASE_URL": database,
        "HELPDESK_API_KEYS": API_KEY,
        "LANGSMITH_TRACING": "false",
        "LOG_LEVEL": "WARNING",
    }
    log = directory / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn", "aegra_api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    return launch(command, directory, env, log, health="/health")


@pytest.fixture(scope="module")
def two_servers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    directory = tmp_path_factory.mktemp("scaleout")
    config = aegra_config(directory)
    first, url_a = start_aegra(directory, config, database, "a")  # runs the migrations alone
    try:
        second, url_b = start_aegra(directory, config, database, "b")
        try:
            yield url_a, url_b
        finally:
            stop(second)
    finally:
        stop(first)


async def test_thread_started_on_one_process_is_resumed_on_the_other(two_servers: tuple[str, str]) -> None:
    url_a, url_b = two_servers
    a = get_client(url=url_a, api_key=API_KEY)
    b = get_client(url=url_b, api_key=API_KEY)
    ticket = {"id": "SCALE-1", "source": "jira", "subject": "Payroll question", "description": "When is my bonus paid?"}

    thread = await a.threads.create(metadata={"ticket_key": "jira:SCALE-1"})
    paused = await a.runs.wait(thread["thread_id"], "helpdesk", input={"ticket": ticket})
    assert paused.get("__interrupt__"), paused

    seen_by_b = await b.threads.get(thread["thread_id"])
    assert seen_by_b["status"] == "interrupted"
    waiting = await b.threads.search(status="interrupted", metadata={"ticket_key": "jira:SCALE-1"})
    assert [t["thread_id"] for t in waiting] == [thread["thread_id"]]

    done = await b.runs.wait(
        thread["thread_id"], "helpdesk", command={"resume": {"decision": "approve", "reviewer": "kim"}}
    )
    assert done["result"]["id"] == "SCALE-1"
    assert done["result"]["escalated"] is True
    assert done["result"]["writeback"]["status"] == "dry_run"  # Aegra runs with the default write-back mode

    state_on_a = await a.threads.get_state(thread["thread_id"])
    assert state_on_a["values"]["result"] == done["result"]
    runs = await a.runs.list(thread["thread_id"])
    assert len(runs) == 2  # the first run (paused) through A, the resume through B


async def test_other_processes_refuse_unauthenticated_calls(two_servers: tuple[str, str]) -> None:
    for url in two_servers:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.post("/threads", json={})).status_code == 401
            assert (await http.post("/threads", json={}, headers={"x-api-key": "wrong"})).status_code in {401, 403}
