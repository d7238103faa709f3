"""The studio agent: a LangGraph tool-calling agent over one project, with its conversation
kept on disk so a later session resumes it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.sqlite import SqliteSaver

from storyreel.storyboards.errors import UserError

from .studio_tools import STUDIO_TOOLS, StudioContext

SYSTEM_PROMPT = """You are the storyreel studio assistant. You edit one video project's
storyboard with your tools and render it. Work only through the tools; they act inside this
project and nowhere else: refuse requests about other files or the system.
Before editing, call show_storyboard to see shot ids. Shots are referred to by id; "shot 3"
means the third shot in the list. After the edits, reply in one or two sentences saying
exactly what changed. Keep narration plain spoken sentences in the storyboard's language."""


class LLMUnreachable(UserError, RuntimeError):
    """The model's server did not answer; the conversation so far is kept."""


@dataclass(frozen=True)
class ChatEvent:
    """What the agent did in a turn: a tool action with its result, or its reply."""

    kind: str  # "action" or "reply"
    text: str


class StudioChat:
    """A conversation with the studio agent about the project in `context`; its tools reach
    the project through the context given to every run, never through captured state."""

    def __init__(self, model: BaseChatModel, context: StudioContext, state_dir: Path,
                 thread: str = "studio"):
        state_dir.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(state_dir / "chat.sqlite", check_same_thread=False)
        self.checkpointer = SqliteSaver(self._connection)
        self.context = context
        self.agent = create_agent(model, STUDIO_TOOLS, system_prompt=SYSTEM_PROMPT,
                                  checkpointer=self.checkpointer, context_schema=StudioContext)
        self.config = {"configurable": {"thread_id": thread}, "recursion_limit": 40}

    def send(self, text: str) -> Iterator[ChatEvent]:
        """Send a user message; yields each tool action as it happens, then the reply."""
        try:
            for update in self.agent.stream({"messages": [HumanMessage(text)]}, self.config,
                                            context=self.context, stream_mode="updates"):
                for step in update.values():
                    for message in (step or {}).get("messages", []):
                        if isinstance(message, ToolMessage):
                            yield ChatEvent("action", f"{message.name}: {message.content}")
                        elif isinstance(message, AIMessage) and not message.tool_calls and \
                                message.content:
                            yield ChatEvent("reply", _text(message.content))
        except Exception as error:
            if _is_connection_error(error):
                raise LLMUnreachable(
                    f"the model did not answer ({type(error).__name__}: {error}). Check that its "
                    "server is running and reachable; the conversation is kept, so send the "
                    "message again when it is.") from error
            raise

    def history(self) -> list[tuple[str, str]]:
        """(role, text) of the conversation so far."""
        state = self.agent.get_state(self.config)
        out = []
        for message in state.values.get("messages", []) if state else []:
            if isinstance(message, HumanMessage):
                out.append(("user", _text(message.content)))
            elif isinstance(message, AIMessage) and message.content and not message.tool_calls:
                out.append(("assistant", _text(message.content)))
        return out

    def close(self) -> None:
        self._connection.close()


def _text(content: object) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part)
                       for part in content)
    return str(content)


def _is_connection_error(error: Exception) -> bool:
    names = {type(e).__name__ for e in _chain(error)}
    return bool(names & {"APIConnectionError", "APITimeoutError", "ConnectError",
                         "ConnectTimeout", "ReadTimeout", "TimeoutException",
                         "ConnectionError", "ConnectionRefusedError", "TimeoutError"})


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen = 0
    while error is not None and seen < 10:
        yield error
        error = error.__cause__ or error.__context__
        seen += 1
