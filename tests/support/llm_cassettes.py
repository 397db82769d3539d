"""Recording and replaying LLM HTTP with vcrpy against the fake OpenAI server.

Replay (the default, and CI) uses `record_mode="none"`: a request missing from its cassette fails loudly.
Re-record offline with `HELPDESK_RECORD_CASSETTES=1 uv run pytest tests/test_llm_recorded.py
tests/test_llm_cascade.py`; the fake server is then started and its random port is rewritten to a fixed
host, so replay needs no server at all.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vcr
from vcr.cassette import Cassette
from vcr.request import Request as VcrRequest

from tests.support.fake_openai import FakeOpenAI, Reply

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "llm"
RECORD = os.environ.get("HELPDESK_RECORD_CASSETTES") == "1"
CANONICAL_HOST = "http://fake-openai.test"
"""Recorded URIs use this host instead of the fake server's random port."""


KEPT_HEADERS = {"accept", "content-type"}
"""Request headers worth storing; the rest are the port, client fingerprints and credentials."""


def _canonical(request: VcrRequest) -> VcrRequest:
    """Store the request with a stable host and only the headers that describe the body."""
    request.uri = re.sub(r"^http://127\.0\.0\.1:\d+", CANONICAL_HOST, request.uri)
    for name in [h for h in request.headers if h.lower() not in KEPT_HEADERS]:
        del request.headers[name]
    return request


def _stable_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop the response's date, so re-recording the same script changes no file."""
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() != "date"}
    return response


def _same_model(r1: VcrRequest, r2: VcrRequest) -> None:
    """Match on the requested model only (graph tests: the prompt's ticket text is intake's business)."""
    model1, model2 = (json.loads(r.body or b"{}").get("model") for r in (r1, r2))
    assert model1 == model2, f"model {model1!r} != {model2!r}"


@contextmanager
def cassette(recorder: vcr.VCR, name: str) -> Iterator[Cassette]:
    """Use cassette `name`; while recording, start it afresh (vcr's "all" mode appends to a file)."""
    if RECORD:
        (CASSETTES / name).unlink(missing_ok=True)
    with recorder.use_cassette(name) as recorded:
        yield recorded


def recorder(*, match_body: bool) -> vcr.VCR:
    """A VCR for `tests/cassettes/llm`: whole request bodies, or only the model name, must match."""
    matcher = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORD else "none",
        match_on=("method", "scheme", "host", "port", "path", "query", "body" if match_body else "model"),
        filter_headers=["authorization", "openai-organization", "openai-project"],
        before_record_request=_canonical,
        before_record_response=_stable_response,
        decode_compressed_response=True,
    )
    matcher.register_matcher("model", _same_model)
    return matcher


@contextmanager
def llm_endpoint(script: Mapping[str, Reply | Sequence[Reply]]) -> Iterator[str]:
    """The base URL to call: the fake server while recording, else the canonical host (nothing listens)."""
    if not RECORD:
        yield f"{CANONICAL_HOST}/v1"
        return
    with FakeOpenAI(script).running() as server:
        yield server.base_url
        assert set(server.paths) <= {"/v1/chat/completions"}, "only chat completions may leave the process"
