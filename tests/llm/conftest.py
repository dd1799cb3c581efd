"""Fixtures of the language-model tests: LangChain's fake chat models script the
model's replies (the one fake the standards allow); everything else is real: the
demo warehouse, the compiler, the guard and the packaged embedding model."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field

from nlq.llm.reader import shared_embedder
from nlq.llm.retrieval import Embedder
from nlq.llm.settings import LLMSettings
from nlq.pipeline import Pipeline


class ScriptedModel(FakeMessagesListChatModel):
    """Replies in order and keeps every conversation it was sent. `bind_tools` lets
    LangChain's tool-calling structured output run on scripted tool calls."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        # Counted before failing, so a call beyond the script shows in `seen` even
        # though the reader turns the failure into its fallback.
        self.seen.append(list(messages))
        if len(self.seen) > len(self.responses):
            raise AssertionError("the model was asked more often than scripted")
        return super()._generate(messages, *args, **kwargs)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


def text(reply: dict[str, Any] | str) -> AIMessage:
    return AIMessage(reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    found = shared_embedder(None)
    assert found is not None, "the embeddings extra is part of the dev install"
    return found


@pytest.fixture()
def ask_with(warehouse_path: Path, embedder: Embedder) -> Callable[..., tuple[Pipeline, ScriptedModel]]:
    """A pipeline whose language model replies with the scripted messages."""

    def build(
        replies: Sequence[AIMessage], *, role: str = "analyst", **settings: Any
    ) -> tuple[Pipeline, ScriptedModel]:
        model = ScriptedModel(responses=list(replies))
        options = {"structured_output": "prompt", **settings}
        pipeline = Pipeline(
            db=warehouse_path, role=role, llm=LLMSettings(**options), chat_model=model, embedder=embedder
        )
        return pipeline, model

    return build
