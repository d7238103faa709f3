"""The real OpenAI-compatible client (init_chat_model -> ChatOpenAI) against a local stub
server: planner, a multi-turn chat with tool calls, and an unreachable server."""

from __future__ import annotations

import json
import socket

import pytest
from openai_stub_server import stub_openai, text_reply, tool_calls_reply
from plans import plan

from storyreel.agent.chat import LLMUnreachable
from storyreel.agent.llm import make_chat_model
from storyreel.agent.planner import plan_storyboard
from storyreel.storyboards import load_storyboard
from storyreel.studio.chat import open_chat


@pytest.fixture
def openai_env(monkeypatch):
    def use(base_url: str) -> None:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-secret")
        monkeypatch.setenv("STORYREEL_MODEL", "openai:stub-model")
    return use


def test_planner_over_http(openai_env):
    with stub_openai([text_reply("{half json"), text_reply(json.dumps(plan(shots=9)))]) as srv:
        openai_env(srv.base_url)
        data = plan_storyboard("a 75-second explainer about coffee", make_chat_model())
    assert len(data["shots"]) == 9
    assert len(srv.requests) == 2  # one repair round over the wire
    assert srv.requests[0]["model"] == "stub-model"


def test_multi_turn_chat_over_http_edits_the_file(short_project, openai_env):
    replies = [
        tool_calls_reply(("show_storyboard", {})),
        tool_calls_reply(("split_shot", {"shot_id": "leaves"})),
        text_reply("I split shot leaves into leaves-a and leaves-b."),
        tool_calls_reply(("set_voice", {"rate": 1.1}), ("set_aspect", {"aspect": "9:16"})),
        text_reply("The voice is a little faster and the video is vertical now."),
    ]
    with stub_openai(replies) as srv:
        openai_env(srv.base_url)
        session = open_chat(short_project.root, make_chat_model())
        first = [e.text for e in session.send("split the first shot in two")]
        second = [e.text for e in session.send("faster voice, and make it vertical")]
        session.close()
    assert first[-1].startswith("I split shot leaves")
    assert any("split shot leaves into leaves-a, leaves-b" in t for t in first)
    board, _ = load_storyboard(short_project.storyboard_path)
    assert [s.id for s in board.shots][:2] == ["leaves-a", "leaves-b"]
    assert board.voice.rate == 1.1 and board.format.aspect == "9:16"
    assert "faster" in second[-1]
    # the tools were offered to the server with their schemas; the key never leaves the env
    assert {t["function"]["name"] for t in srv.requests[0]["tools"]} >= {"split_shot",
                                                                         "render_video"}
    assert "test-key-not-secret" not in short_project.storyboard_path.read_text()


def test_unreachable_server_is_a_clear_error_and_keeps_the_conversation(short_project,
                                                                        openai_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    openai_env(f"http://127.0.0.1:{port}/v1")
    session = open_chat(short_project.root, make_chat_model(timeout=5))
    with pytest.raises(LLMUnreachable, match="conversation is kept"):
        list(session.send("hello?"))
    assert ("user", "hello?") in session.history()
    session.close()
    load_storyboard(short_project.storyboard_path)
