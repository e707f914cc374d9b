"""A real HTTP server on 127.0.0.1 that speaks the chat-completions protocol.

Tests queue what the next requests get (a JSON answer, a status with headers, a slow
answer, a body that is not JSON, a dropped connection) and read back every request that
arrived (path, headers, JSON body).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The only key the fake server accepts; tests check it never leaks.
OPENAI_TEST_KEY = "sk-test-0123456789abcdef-SECRET"


@dataclass
class Reply:
    """What the server does for one request."""

    status: int = 200
    content: str | None = None  # assistant message text for a 200 completion
    body: Any = None  # a full JSON body instead (errors, odd shapes)
    raw: bytes | None = None  # bytes sent as-is (malformed JSON)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # close the connection without answering
    usage: dict[str, Any] | None = None

    @classmethod
    def answer(cls, content: str, **kw: Any) -> Reply:
        """A 200 completion whose message is ``content``."""
        return cls(content=content, **kw)

    @classmethod
    def error(cls, status: int, message: str = "", **kw: Any) -> Reply:
        """An error status with an OpenAI-style error body."""
        return cls(status=status, body={"error": {"message": message, "code": status}}, **kw)


@dataclass
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


class FakeOpenAIServer:
    """Chat completions on ``url`` (``http://127.0.0.1:<port>/v1``); models on ``/v1/models``."""

    def __init__(
        self,
        *,
        models: tuple[str, ...] = ("test/vision-1", "test/vision-2"),
        text_only: tuple[str, ...] = (),
        api_key: str | None = None,
        default_content: str = '{"scientificName": "Carex nigra (L.) Reichard"}',
    ) -> None:
        self.models = list(models)
        self.text_only = set(text_only)  # listed models that refuse image content (HTTP 400)
        self.api_key = api_key
        self.default_content = default_content
        self.replies: list[Reply] = []
        self.model_replies: list[Reply] = []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _read_json(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                return json.loads(data) if data else None

            def do_GET(self) -> None:
                server._handle(self, "GET", None)

            def do_POST(self) -> None:
                server._handle(self, "POST", self._read_json())

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL an engine is configured with."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def queue(self, *replies: Reply) -> None:
        """Replies for the next chat-completion requests, in order (then the default)."""
        with self._lock:
            self.replies.extend(replies)

    def chat_requests(self) -> list[Received]:
        """The chat-completion requests received so far."""
        return [r for r in self.received if r.path.endswith("/chat/completions")]

    # -- serving --------------------------------------------------------------------------

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            pending = self.model_replies if path.endswith("/models") else self.replies
            return pending.pop(0) if pending else None

    def _handle(self, h: BaseHTTPRequestHandler, method: str, body: Any) -> None:
        with self._lock:
            self.received.append(Received(method, h.path, dict(h.headers.items()), body))
        reply = self._next(h.path)
        authorized = h.headers.get("Authorization") == f"Bearer {self.api_key}"
        if reply is None and self.api_key is not None and not authorized:
            reply = Reply.error(401, "Incorrect API key provided")
        if reply is None:
            if h.path == "/v1/models" and method == "GET":
                reply = Reply(body={"object": "list", "data": [{"id": m} for m in self.models]})
            elif h.path == "/v1/chat/completions" and method == "POST":
                model = (body or {}).get("model")
                if model not in self.models:
                    reply = Reply.error(404, f"model {model} does not exist")
                elif model in self.text_only and _has_image(body):
                    reply = Reply.error(400, "This model does not support image input")
                else:
                    reply = Reply.answer(self.default_content)
            else:
                reply = Reply.error(404, "no such route")
        # The client may have given up already (timeout tests).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(h, reply, body)

    def _send(self, h: BaseHTTPRequestHandler, reply: Reply, request: Any) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.drop:
            h.close_connection = True
            h.connection.close()
            return
        if reply.raw is not None:
            payload = reply.raw
        elif reply.body is not None:
            payload = json.dumps(reply.body).encode()
        else:
            usage = reply.usage or {"prompt_tokens": 1200, "completion_tokens": 80}
            usage.setdefault(
                "total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
            )
            payload = json.dumps(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": (request or {}).get("model", "unknown"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            ).encode()
        h.send_response(reply.status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for key, value in reply.headers.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(payload)


def _has_image(body: Any) -> bool:
    """Does a chat request carry an image part?"""
    for message in (body or {}).get("messages", []):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") == "image_url" for p in content
        ):
            return True
    return False
