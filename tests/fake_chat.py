"""A scripted chat model that can call tools and give structured output, for agent tests.

LangChain's GenericFakeChatModel cannot bind tools; like LangGraph's own FakeToolCallingModel,
this one replays scripted AIMessages (with tool_calls) and scripted structured answers.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError


def call(name: str, **args: Any) -> dict:
    """A tool call for a scripted AIMessage."""
    return {"name": name, "args": args, "id": f"call_{name}_{abs(hash(str(args))) % 10**8}"}


class FakeToolCallingModel(BaseChatModel):
    replies: list[AIMessage] = []
    structured: list[Any] = []  # dicts (parsed against the schema) or raw strings
    seen: list[list[BaseMessage]] = []

    @property
    def _llm_type(self) -> str:
        return "fake-tool-calling"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        reply = self.replies.pop(0) if self.replies else AIMessage("done")
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Any, **kwargs: Any) -> FakeToolCallingModel:
        return self

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kwargs: Any):
        def answer(messages: Any) -> Any:
            self.seen.append(list(messages) if isinstance(messages, list) else [messages])
            item = self.structured.pop(0)
            raw = AIMessage(str(item))
            try:
                parsed, error = schema.model_validate(item), None
            except ValidationError as problem:
                parsed, error = None, problem
            return {"raw": raw, "parsed": parsed, "parsing_error": error} if include_raw \
                else parsed

        return RunnableLambda(answer)
