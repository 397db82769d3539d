"""Local, contract-faithful sandboxes of the three ITSM APIs on one port (path prefixes), and how to run them.

`build_app` makes the Starlette app: `/servicenow`, `/jira` and `/freshservice`, each behind its gate
(auth, rate limits, faults). `start_sandbox_in_process` serves it with uvicorn on a free 127.0.0.1 port in
a background thread; its handle carries the `ItsmSettings` and the environment that point the clients at
it. `sandbox_for_run` is what `helpdesk run --writeback sandbox` uses: the configured ITSMs when there
are any, else an in-process sandbox with its settings exported for the duration.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Router

from tools.itsm.sandbox.faults import FaultInjector, Gate, SandboxConfig
from tools.itsm.sandbox.freshservice import API_KEY, FreshservicePlatform
from tools.itsm.sandbox.jira import API_TOKEN, EMAIL, JiraPlatform
from tools.itsm.sandbox.servicenow import PASSWORD, USER, ServiceNowPlatform
from tools.itsm.sandbox.store import SandboxStore
from tools.itsm.settings import ItsmSettings

__all__ = ["SandboxConfig", "SandboxHandle", "build_app", "sandbox_env", "sandbox_for_run", "start_sandbox_in_process"]

PREFIXES = {"servicenow": "/servicenow", "jira": "/jira", "freshservice": "/freshservice"}


class _QuietDrops(logging.Filter):
    """Injected connection drops make uvicorn log an error per request; they are the point, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def build_app(store: SandboxStore, config: SandboxConfig) -> tuple[Starlette, FaultInjector]:
    injector = FaultInjector(config.faults, config.seed)
    mounts = []
    for platform in (ServiceNowPlatform(store), JiraPlatform(store), FreshservicePlatform(store)):
        gated = Gate(Router(routes=platform.routes()), platform, injector, config)
        mounts.append(Mount(PREFIXES[platform.name], app=gated))
    return Starlette(routes=mounts), injector


def sandbox_env(base_url: str, *, timeout_s: float = 2.0, settle_s: float | None = None) -> dict[str, str]:
    """The HELPDESK_* variables that point the clients at a sandbox (its fixed test credentials)."""
    return {
        "HELPDESK_SERVICENOW_URL": base_url + PREFIXES["servicenow"],
        "HELPDESK_SERVICENOW_USER": USER,
        "HELPDESK_SERVICENOW_PASSWORD": PASSWORD,
        "HELPDESK_JIRA_URL": base_url + PREFIXES["jira"],
        "HELPDESK_JIRA_EMAIL": EMAIL,
        "HELPDESK_JIRA_API_TOKEN": API_TOKEN,
        "HELPDESK_JIRA_SERVICE_DESK": "true",
        "HELPDESK_FRESHSERVICE_URL": base_url + PREFIXES["freshservice"],
        "HELPDESK_FRESHSERVICE_API_KEY": API_KEY,
        "HELPDESK_FRESHSERVICE_DERIVE_IDS": "true",
        "HELPDESK_ITSM_TIMEOUT_S": str(timeout_s),
        "HELPDESK_ITSM_CONNECT_TIMEOUT_S": str(timeout_s),
        "HELPDESK_ITSM_BACKOFF_S": "0.05",
        "HELPDESK_ITSM_MAX_WAIT_S": "5",
        "HELPDESK_ITSM_SETTLE_S": str(timeout_s if settle_s is None else settle_s),
    }


@dataclass
class SandboxHandle:
    """A running sandbox: where it is, what it holds, how to reach it."""

    base_url: str
    store: SandboxStore
    injector: FaultInjector
    config: SandboxConfig
    env: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> ItsmSettings:
        return ItsmSettings.from_env(self.env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(
    store: SandboxStore, config: SandboxConfig, *, port: int = 0, timeout_s: float = 2.0
) -> Iterator[SandboxHandle]:
    """Serve the sandbox with uvicorn in a daemon thread until the block ends."""
    import uvicorn

    app, injector = build_app(store, config)
    port = port or _free_port()
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, name=f"itsm-sandbox-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the ITSM sandbox did not start on port {port}")
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    try:
        yield SandboxHandle(base_url, store, injector, config, sandbox_env(base_url, timeout_s=timeout_s))
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextmanager
def start_sandbox_in_process(faults: float = 0.0, seed: int = 0, **options: Any) -> Iterator[SandboxHandle]:
    """A fresh sandbox on a free 127.0.0.1 port; `options` are further `SandboxConfig` fields
    (plus `timeout_s`, the client timeout its env sets; `hang_s` defaults to 1.5 times it)."""
    timeout_s = float(options.pop("timeout_s", 1.0))
    options.setdefault("hang_s", timeout_s * 1.5)
    options.setdefault("retry_after_s", 0 if faults else 1)
    with serve_in_thread(
        SandboxStore(), SandboxConfig(faults=faults, seed=seed, **options), timeout_s=timeout_s
    ) as handle:
        yield handle


_ITSM_URLS = ("HELPDESK_SERVICENOW_URL", "HELPDESK_JIRA_URL", "HELPDESK_FRESHSERVICE_URL")


@contextmanager
def sandbox_for_run(faults: float = 0.0, seed: int = 0) -> Iterator[SandboxHandle | None]:
    """Use the configured ITSM URLs when any is set (yields None); otherwise start a sandbox and export
    its settings to this process's environment until the block ends (restoring what was there)."""
    if any(os.environ.get(name) for name in _ITSM_URLS):
        yield None
        return
    with start_sandbox_in_process(faults=faults, seed=seed) as handle:
        saved = {name: os.environ.get(name) for name in handle.env}
        os.environ.update(handle.env)
        try:
            yield handle
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
