"""Model configuration: YAML with NLQ_LLM_* variables on top, none configured means
no model, mistakes get a sentence (not a traceback), and the configured provider
becomes the real LangChain client with the endpoint and model asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI

from nlq.cli import main
from nlq.llm.settings import LLMConfigError, build_chat_model, load_settings


def test_nothing_configured_means_no_model() -> None:
    assert load_settings(None, env={}) is None


def test_yaml_with_environment_on_top(tmp_path: Path) -> None:
    config = tmp_path / "llm.yaml"
    config.write_text(
        "provider: openai\nmodel: deepseek-chat\nbase_url: https://api.deepseek.example/v1\n"
        "use: always\nraw_sql: true\nmax_repairs: 1\n",
        encoding="utf-8",
    )
    settings = load_settings(config, env={"NLQ_LLM_MODEL": "qwen-plus", "NLQ_LLM_API_KEY": "sk-test"})
    assert settings is not None
    assert (settings.provider, settings.model, settings.use) == ("openai", "qwen-plus", "always")
    assert settings.raw_sql and settings.max_repairs == 1
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)  # a key never reaches a log line
    assert settings.method == "function_calling"


def test_environment_alone(tmp_path: Path) -> None:
    settings = load_settings(
        None, env={"NLQ_LLM_PROVIDER": "ollama", "NLQ_LLM_MODEL": "qwen2.5:7b", "NLQ_LLM_USE": "fallback"}
    )
    assert settings is not None and settings.method == "json_schema"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("provider: anthropic\nmodel: x\n", "provider"),
        ("provider: openai\n", "name the model"),
        ("provider: openai\nmodel: m\nmax_repairs: 9\n", "max_repairs"),
        ("provider: openai\nmodel: m\ntemprature: 0.2\n", "temprature"),
        ("- just\n- a list\n", "mapping"),
        ("provider: [unclosed\n", "not valid YAML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "llm.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(LLMConfigError, match=message):
        load_settings(config, env={})


def test_openai_compatible_client(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        env={
            "NLQ_LLM_PROVIDER": "openai",
            "NLQ_LLM_MODEL": "Qwen2.5-7B-Instruct",
            "NLQ_LLM_BASE_URL": "http://127.0.0.1:8000/v1",
        },
    )
    assert settings is not None
    model = build_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "Qwen2.5-7B-Instruct"
    assert str(model.openai_api_base) == "http://127.0.0.1:8000/v1"
    assert model.temperature == 0.0


def test_ollama_client() -> None:
    settings = load_settings(
        None,
        env={
            "NLQ_LLM_PROVIDER": "ollama",
            "NLQ_LLM_MODEL": "qwen2.5:7b",
            "NLQ_LLM_BASE_URL": "http://127.0.0.1:11434",
        },
    )
    assert settings is not None
    model = build_chat_model(settings)
    assert isinstance(model, ChatOllama)
    assert (model.model, model.base_url) == ("qwen2.5:7b", "http://127.0.0.1:11434")


def test_ask_reports_a_bad_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "llm.yaml"
    config.write_text("provider: openai\n", encoding="utf-8")
    assert main(["ask", "上个月的GMV", "--llm-config", str(config)]) == 1
    assert "name the model" in capsys.readouterr().err
