"""Building the chat model: offline by default, explicit timeout/retries/base URL/key, one per settings."""

from __future__ import annotations

import math

import pytest
from langchain_openai import ChatOpenAI

from graph.context import Context
from tests.support.fake_chat import scripted_llm
from tools.llm.chat import LOCAL_SERVER_KEY, OPENAI_DEFAULT_BASE_URL, LLMConfigError, chat_model, parse_model
from tools.llm.route import classify_ticket


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "LANGSMITH_GATEWAY", "HELPDESK_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_local_means_no_model_even_with_an_override() -> None:
    with scripted_llm():
        assert chat_model(Context()) is None
        assert chat_model(Context(model="local")) is None


def test_openai_model_has_explicit_timeout_retries_and_endpoint() -> None:
    context = Context(
        model="openai:my-model", llm_base_url="http://127.0.0.1:9/v1/", llm_timeout_s=3.5, llm_max_retries=1
    )
    model = chat_model(context)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "my-model"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.request_timeout == 3.5 and model.max_retries == 1
    assert model.root_client.max_retries == 1 and model.root_client.timeout == 3.5
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == LOCAL_SERVER_KEY, "a local server gets a dummy key"
    assert model.use_responses_api is False


def test_base_url_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    model = chat_model(Context(model="openai:m"))
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:8/v1"
    assert model.openai_api_key is not None and model.openai_api_key.get_secret_value() == "sk-test-not-real"


def test_the_langsmith_gateway_cannot_redirect_ticket_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGSMITH_GATEWAY", "true")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    model = chat_model(Context(model="openai:m"))
    assert isinstance(model, ChatOpenAI) and model.openai_api_base == OPENAI_DEFAULT_BASE_URL


@pytest.mark.parametrize(("name", "temperature"), [("gpt-4o-mini", 0.0), ("llama3.1:8b", 0.0), ("o3-mini", None)])
def test_routing_is_repeatable_where_the_model_allows_it(name: str, temperature: float | None) -> None:
    model = chat_model(Context(model=f"openai:{name}", llm_base_url="http://127.0.0.1:9/v1"))
    assert isinstance(model, ChatOpenAI) and model.temperature == temperature


def test_one_model_per_settings() -> None:
    first = chat_model(Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1"))
    again = chat_model(Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1"))
    other = chat_model(Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0))
    assert first is again and first is not other


@pytest.mark.parametrize("spec", ["openai:", "anthropic:claude", "gpt-4o", "openai:  "])
def test_bad_model_settings_are_config_errors(spec: str) -> None:
    with pytest.raises(LLMConfigError):
        parse_model(spec)


@pytest.mark.parametrize(
    "context",
    [
        Context(model="openai:m"),  # api.openai.com without a key
        Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=0.0),
        Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=math.inf),
        Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_max_retries=-1),
        Context(model="claude"),
        Context(model="openai:m", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s="soon"),  # type: ignore[arg-type]
    ],
    ids=["no-key", "zero-timeout", "infinite-timeout", "negative-retries", "bad-spec", "timeout-not-a-number"],
)
def test_unusable_settings_are_an_error_result_without_any_call(context: Context) -> None:
    with pytest.raises(LLMConfigError):
        chat_model(context)
    result = classify_ticket("printer jammed", "en", context)
    assert result.decision is None and result.calls == 0
    assert result.error is not None and result.error.startswith("LLM not usable")


def test_model_can_be_chosen_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_MODEL", "openai:env-model")
    monkeypatch.setenv("HELPDESK_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    model = chat_model(Context())
    assert isinstance(model, ChatOpenAI) and model.model_name == "env-model"
