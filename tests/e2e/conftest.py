"""One real `helpdesk serve` process per test module, driven over HTTP by langgraph_sdk."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tools.itsm.sandbox import SandboxHandle, start_sandbox_in_process

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "e2e-api-key"
SECRETS = {"servicenow": "sn-e2e-secret", "jira": "jira-e2e-secret", "freshservice": "fs-e2e-secret"}
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Server:
    url: str
    api_key: str
    secrets: dict[str, str]
    log: Path
    sandbox: SandboxHandle


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def absolute_config(directory: Path) -> Path:
    """The project's langgraph.json with every path made absolute (the server runs from `directory`)."""
    config = json.loads((ROOT / "langgraph.json").read_text())

    def absolute(ref: str) -> str:
        path, _, attr = ref.partition(":")
        return f"{(ROOT / path).resolve()}:{attr}"

    config["dependencies"] = [str(ROOT)]
    config["graphs"] = {name: absolute(ref) for name, ref in config["graphs"].items()}
    config["checkpointer"]["path"] = absolute(config["checkpointer"]["path"])
    config["auth"]["path"] = absolute(config["auth"]["path"])
    config["http"]["app"] = absolute(config["http"]["app"])
    target = directory / "langgraph.json"
    target.write_text(json.dumps(config))
    return target


def start_server(directory: Path, sandbox: SandboxHandle) -> tuple[subprocess.Popen, Server]:
    """`helpdesk serve` writing back to the in-process ITSM sandbox, with its own store and no pickles."""
    port = free_port()
    log = directory / "server.log"
    env = {
        **os.environ,
        "HELPDESK_API_KEYS": f"other-key,{API_KEY}",
        "HELPDESK_STORE": f"sqlite:///{directory}/helpdesk.db",
        "HELPDESK_AUDIT_LOG": f"{directory}/audit.jsonl",
        "LANGSMITH_TRACING": "false",
        "HELPDESK_WRITEBACK_MODE": "sandbox",
        **{f"HELPDESK_WEBHOOK_SECRET_{p.upper()}": s for p, s in SECRETS.items()},
        **sandbox.env,
    }
    env.pop("LANGSMITH_API_KEY", None)
    command = [
        str(Path(sys.executable).with_name("helpdesk")),
        "serve",
        "--port",
        str(port),
        "--config",
        str(absolute_config(directory)),
        "--no-persist",
    ]
    process, url = launch(command, directory, env, log, health="/ok")
    return process, Server(url, API_KEY, SECRETS, log, sandbox)


def launch(
    command: list[str], directory: Path, env: dict[str, str], log: Path, *, health: str
) -> tuple[subprocess.Popen, str]:
    """Start a server process on the port in `command` and wait until `health` answers 200."""
    port = command[command.index("--port") + 1]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}{health}", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{log.stem} did not answer {health} within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("server")
    with start_sandbox_in_process(timeout_s=5.0) as sandbox:
        process, info = start_server(directory, sandbox)
        try:
            yield info
        finally:
            stop(process)
