"""Which language model nlq may ask, and how: a YAML file and NLQ_LLM_* variables,
turned into a LangChain chat model. Nothing configured means no model: the
rules answer alone, exactly as without this package."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Provider = Literal["openai", "ollama"]
# How the reply is tied to the pydantic schema: a tool call, the endpoint's JSON-schema
# mode, its plain JSON mode, or the schema written into the prompt (any chat model).
StructuredOutput = Literal["function_calling", "json_schema", "json_mode", "prompt"]
DEFAULT_STRUCTURED: dict[str, StructuredOutput] = {"openai": "function_calling", "ollama": "json_schema"}
ENVIRONMENT = {
    "NLQ_LLM_PROVIDER": "provider",
    "NLQ_LLM_MODEL": "model",
    "NLQ_LLM_BASE_URL": "base_url",
    "NLQ_LLM_API_KEY": "api_key",
    "NLQ_LLM_USE": "use",
    "NLQ_LLM_RAW_SQL": "raw_sql",
    "NLQ_EMBEDDING_MODEL": "embedding_model",
    "NLQ_FEEDBACK": "feedback",
}
EXTRAS = {"openai": "nlq[openai]", "ollama": "nlq[ollama]"}


class LLMConfigError(Exception):
    """A configuration that cannot give a model; the message says what to change."""


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Provider | None = None
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    temperature: float = 0.0
    timeout_s: float = 60.0
    # fallback: only when the rules leave words unlinked or cannot answer; always: every question.
    use: Literal["fallback", "always"] = "fallback"
    structured_output: StructuredOutput | None = None
    # Let the model write SQL itself (checked by the guard and the role's policies).
    raw_sql: bool = False
    # A sentence-transformers model folder; default: the packaged all-MiniLM-L6-v2.
    embedding_model: str | None = None
    # Past question -> query pairs: JSONL files of examples, and the thumbs-up feedback file.
    examples: list[Path] = Field(default_factory=list)
    feedback: Path | None = None
    top_metrics: int = Field(default=8, ge=1)
    top_dimensions: int = Field(default=12, ge=1)
    top_examples: int = Field(default=4, ge=0)
    # An invalid reply goes back to the model with the error at most this many times.
    max_repairs: int = Field(default=2, ge=0, le=5)

    @property
    def method(self) -> StructuredOutput:
        if self.structured_output is not None:
            return self.structured_output
        return DEFAULT_STRUCTURED.get(self.provider or "", "prompt")


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> LLMSettings | None:
    """The YAML file (`path`, else $NLQ_LLM_CONFIG), with NLQ_LLM_* variables on top.
    None when neither names a provider."""
    env = os.environ if env is None else env
    data: dict[str, object] = {}
    source = path or env.get("NLQ_LLM_CONFIG")
    if source:
        try:
            loaded = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        except OSError as error:
            raise LLMConfigError(f"cannot read the model configuration {source}: {error.strerror}") from error
        except yaml.YAMLError as error:
            raise LLMConfigError(f"{source} is not valid YAML: {error}") from error
        if loaded is not None and not isinstance(loaded, dict):
            raise LLMConfigError(f"{source} must hold a mapping such as `provider: openai`")
        data.update(loaded or {})
    for variable, key in ENVIRONMENT.items():
        if env.get(variable):
            data[key] = env[variable]
    if not data.get("provider"):
        return None
    try:
        settings = LLMSettings.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        raise LLMConfigError(f"model configuration: {problems}") from error
    if not settings.model:
        raise LLMConfigError("model configuration: name the model (`model:` or NLQ_LLM_MODEL)")
    return settings


def build_chat_model(settings: LLMSettings) -> BaseChatModel:
    """The LangChain chat model of the configured provider (its extra must be installed)."""
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    try:
        if settings.provider == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=settings.model,
                base_url=settings.base_url,
                # A local OpenAI-compatible server (vLLM) needs no key, but the client wants one.
                api_key=SecretStr(api_key or "not-needed"),
                temperature=settings.temperature,
                timeout=settings.timeout_s,
                max_retries=1,
            )
        if settings.provider == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=settings.model,
                base_url=settings.base_url,
                temperature=settings.temperature,
                client_kwargs={"timeout": settings.timeout_s},
            )
    except ImportError as error:
        extra = EXTRAS.get(settings.provider or "", "nlq[openai]")
        raise LLMConfigError(
            f"the {settings.provider} provider needs its extra: pip install '{extra}' ({error.name} is missing)"
        ) from error
    raise LLMConfigError(f"no provider configured: set `provider:` to one of {', '.join(EXTRAS)}")
