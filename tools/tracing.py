"""LangSmith tracing that never hurts: redacted, labelled with the ticket, and harmless when down.

- Off unless `LANGSMITH_TRACING` (or `LANGCHAIN_TRACING_V2`) is true AND an API key or endpoint is
  set; when off, `traced()` forces tracing off, so nothing at all leaves the process.
- Everything sent passes the client's `anonymizer` hook, which applies `tools.screening.redact` to
  every string of the inputs, outputs, metadata and errors (after JSON serialisation, so message
  objects are covered too).
- An unreachable endpoint must neither slow runs nor hold the process at exit. By default the
  langsmith client retries every failed batch from non-daemon threads, so an unreachable endpoint
  holds exit for minutes (21 s after 20 runs, measured; 183 s after 200 per the team's notes). Here
  the endpoint is probed once per process (`GET /info`, 1 s); when unreachable, tracing is switched
  off for the process with one warning. When reachable, uploads run on daemon threads, uncompressed
  (compressed uploads go through a pool the interpreter joins at exit: 36 s measured), with few fast
  retries and one log line for all failures, and an exit hook flushes for at most
  `HELPDESK_TRACING_FLUSH_S` seconds (default 1): an endpoint lost later costs the exit about that.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graph.state import CATEGORY_AGENT
from tools.screening import redact

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.smith.langchain.com"
PROBE_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_MS = 1_000
READ_TIMEOUT_MS = 5_000
FLUSH_ENV = "HELPDESK_TRACING_FLUSH_S"
DEFAULT_FLUSH_S = 1.0
_TRUE = {"1", "true", "yes", "on"}


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def tracing_enabled() -> bool:
    """Tracing is requested (LANGSMITH_TRACING / LANGCHAIN_TRACING_V2) and has somewhere to go."""
    flag = (_env("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2") or "").lower() in _TRUE
    target = _env("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT")
    return flag and target is not None


def endpoint() -> str:
    return (_env("LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def redact_tree(value: Any) -> Any:
    """`value` with `redact` applied to every string in it, at any depth."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value


def run_config(ticket: Mapping[str, Any], routing: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A RunnableConfig fragment (`metadata`, `tags`, `run_name`) naming the ticket and its routing."""
    ticket = ticket if isinstance(ticket, Mapping) else {}
    routing = routing or {}
    category = routing.get("category")
    metadata: dict[str, Any] = {
        "ticket_id": None if ticket.get("id") is None else str(ticket.get("id")),
        "source": ticket.get("source"),
        "category": category,
        "agent": CATEGORY_AGENT.get(str(category), "human") if category else None,
        "model": routing.get("model"),
        "model_version": routing.get("model_version"),
    }
    metadata.update(extra)
    tags = ["helpdesk"] + [f"{key}:{metadata[key]}" for key in ("source", "category", "agent") if metadata[key]]
    return {"metadata": {k: v for k, v in metadata.items() if v is not None}, "tags": tags, "run_name": "helpdesk"}


def _probe(url: str, api_key: str | None) -> dict[str, Any] | None:
    """The endpoint's `/info` (empty when it answers without JSON), or None when it cannot be reached.

    Runs in a daemon thread so that even a hanging DNS lookup cannot hold the caller past the timeout.
    """
    import httpx

    answer: list[dict[str, Any]] = []

    def call() -> None:
        try:
            headers = {"x-api-key": api_key} if api_key else {}
            response = httpx.get(f"{url}/info", headers=headers, timeout=PROBE_TIMEOUT_S)
        except httpx.HTTPError:
            return
        try:
            body = response.json() if response.is_success else {}
        except ValueError:
            body = {}
        answer.append(body if isinstance(body, dict) else {})

    thread = threading.Thread(target=call, name="langsmith-probe", daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT_S + 0.5)
    return answer[0] if answer else None


def _flush_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(FLUSH_ENV, DEFAULT_FLUSH_S)))
    except ValueError:
        return DEFAULT_FLUSH_S


@lru_cache(maxsize=1)
def tracing_client() -> Any | None:
    """The process's safe LangSmith client, or None when tracing is off or the endpoint unreachable.

    Also installed as langsmith's global client (or global off switch), so runs started outside
    `traced()` get the same redaction and exit behaviour.
    """
    if not tracing_enabled():
        return None
    import langsmith
    from langsmith import schemas

    url, api_key = endpoint(), _env("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")
    info = _probe(url, api_key)
    if info is None:
        log.warning("LangSmith endpoint %s is unreachable: tracing is off for this process", url)
        langsmith.configure(enabled=False)
        return None
    try:
        parsed_info = schemas.LangSmithInfo(**info)
    except Exception:  # an unknown /info shape: let the client use its defaults
        parsed_info = None
    try:
        client = _build_client(url, api_key, parsed_info)
    except Exception as exc:  # e.g. the hosted endpoint without an API key
        log.warning("LangSmith client not usable (%s): tracing is off for this process", exc)
        langsmith.configure(enabled=False)
        return None
    langsmith.configure(client=client)
    atexit.register(_flush_at_exit, client)
    return client


def _build_client(url: str, api_key: str | None, info: Any) -> Any:
    """A client that redacts everything it sends and gives up fast on a failing endpoint."""
    import langsmith
    from urllib3.util.retry import Retry

    _safe_upload_settings()
    _quiet_upload_failures()
    return langsmith.Client(
        api_url=url,
        api_key=api_key,
        timeout_ms=(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS),
        retry_config=Retry(
            total=2,
            backoff_factor=0.2,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,
            raise_on_status=False,
            respect_retry_after_header=False,
        ),
        anonymizer=redact_tree,
        info=info,
        tracing_error_callback=_TracingErrors(),
    )


def _safe_upload_settings() -> None:
    """Upload threads as daemons (`LANGSMITH_USE_DAEMON`), and no compressed uploads: those go through
    a thread pool the interpreter joins at exit, which would bring the stall back. Set for the whole
    process, because langsmith reads them from its upload threads and caches its environment lookups.
    """
    from langsmith import utils

    os.environ["LANGSMITH_USE_DAEMON"] = "true"
    os.environ["LANGSMITH_DISABLE_RUN_COMPRESSION"] = "true"
    utils.get_env_var.cache_clear()


class _QuietUploadFailures(logging.Filter):
    """langsmith logs every failed upload with its whole request; `_TracingErrors` says it once."""

    PREFIXES = ("Failed to multipart ingest", "Failed to batch ingest", "Failed to send compressed")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.PREFIXES)


def _quiet_upload_failures() -> None:
    logger = logging.getLogger("langsmith.client")
    if not any(isinstance(f, _QuietUploadFailures) for f in logger.filters):
        logger.addFilter(_QuietUploadFailures())


class _TracingErrors:
    """Count upload failures and say so once, instead of a traceback per batch."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, exc: Exception) -> None:
        self.count += 1
        if self.count == 1:
            log.warning("LangSmith upload failed (%s); traces may be incomplete", type(exc).__name__)


def _flush_at_exit(client: Any) -> None:
    """Give pending traces a bounded chance to leave; the daemon upload threads die with the process."""
    try:
        client.flush(timeout=_flush_seconds())
    except Exception as exc:
        log.debug("LangSmith flush at exit failed: %s", exc)
    logging.getLogger("langsmith").setLevel(logging.CRITICAL)  # no upload noise while the process ends


@dataclass
class TicketTrace:
    """One ticket's trace: pass `config` to the graph call, then `finish(state)` with its final state."""

    config: dict[str, Any]
    run: Any = None  # the root langsmith RunTree, None when not tracing
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.run is not None

    def finish(self, state: Mapping[str, Any]) -> None:
        """Label the root run with the routing decided during the run and record the terminal record."""
        if self.run is None:
            return
        state = state if isinstance(state, Mapping) else {}
        result = state.get("result") or {}
        routing = dict(state.get("routing") or {})
        routing.setdefault("category", result.get("category"))
        labels = run_config({}, routing)
        labels["metadata"]["agent"] = result.get("agent") or labels["metadata"].get("agent")
        self.run.add_metadata(labels["metadata"])
        self.run.add_tags([tag for tag in labels["tags"] if tag != "helpdesk"])
        self.run.add_outputs({"result": result})


@contextmanager
def traced(ticket: Mapping[str, Any], routing: Mapping[str, Any] | None = None, **extra: Any) -> Iterator[TicketTrace]:
    """Trace one ticket's run under a root run carrying its metadata; forces tracing off when not configured.

    ```python
    with traced(ticket, thread_id=tid) as trace:
        state = graph.invoke({"ticket": ticket}, config={**trace.config, ...}, context=ctx)
        trace.finish(state)
    ```
    """
    import langsmith

    config = run_config(ticket, routing, **extra)
    client = tracing_client()
    if client is None:
        with langsmith.tracing_context(enabled=False):
            yield TicketTrace(config=config)
        return
    with (
        langsmith.tracing_context(enabled=True, client=client, metadata=config["metadata"], tags=config["tags"]),
        langsmith.trace(
            "helpdesk ticket",
            run_type="chain",
            inputs={"ticket": dict(ticket) if isinstance(ticket, Mapping) else ticket},
            metadata=config["metadata"],
            tags=config["tags"],
            client=client,
        ) as run,
    ):
        yield TicketTrace(config=config, run=run, metadata=config["metadata"])
