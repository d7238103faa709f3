"""A tiny OpenAI-compatible HTTP server on loopback with canned /v1/chat/completions replies.

It lets tests drive the real `ChatOpenAI` client (the same network path as llama.cpp, vLLM or
LM Studio) without a hub model. Replies are scripted; requests are recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tool_calls_reply(*calls: tuple[str, dict]) -> dict:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{i}_{name}", "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def text_reply(text: str) -> dict:
    return {"role": "assistant", "content": text}


class StubServer:
    def __init__(self, replies: list[dict]):
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                if not self.path.endswith("/chat/completions") or not server.replies:
                    self.send_error(404 if server.replies else 500, "no scripted reply")
                    return
                message = server.replies.pop(0)
                finish = "tool_calls" if message.get("tool_calls") else "stop"
                payload = {"id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion",
                           "created": 0, "model": body.get("model", "stub"),
                           "choices": [{"index": 0, "message": message,
                                        "finish_reason": finish}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 10,
                                     "total_tokens": 20}}
                data = json.dumps(payload).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@contextmanager
def stub_openai(replies: list[dict]) -> Iterator[StubServer]:
    server = StubServer(replies)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
