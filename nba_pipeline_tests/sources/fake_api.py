"""A real HTTP server on 127.0.0.1 that serves recorded payloads and injects faults.

Each path has a script: a list of `Reply`s served in order (the last one repeats), or a
function of the query string. Every request is recorded (path, query, headers) so tests can
assert what was retried and what was sent.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "api_samples"


def sample(relative: str) -> bytes:
    data = (SAMPLES / relative).read_bytes()
    return gzip.decompress(data) if relative.endswith(".gz") else data


def sample_json(relative: str) -> Any:
    return json.loads(sample(relative))


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: a hanging server
    truncate_to: int | None = None  # send only this many bytes of a longer Content-Length


def ok(body: bytes | Any, **headers: str) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(200, raw, dict(headers))


Script = list[Reply] | Callable[[dict[str, list[str]]], Reply]


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


class FakeApi:
    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.served: dict[str, int] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, script: Script) -> None:
        self.scripts[path] = script
        self.served[path] = 0

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def next_reply(self, path: str, query: dict[str, list[str]]) -> Reply:
        with self.lock:
            script = self.scripts.get(path)
            if script is None:
                return Reply(404, b'{"message": "no such route"}')
            if callable(script):
                return script(query)
            index = min(self.served[path], len(script) - 1)
            self.served[path] += 1
            return script[index]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                with api.lock:
                    api.requests.append(Request(parts.path, query, dict(self.headers),
                                                time.monotonic()))
                reply = api.next_reply(parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.truncate_to is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    body = reply.body if reply.truncate_to is None else (
                        reply.body[: reply.truncate_to])
                    self.wfile.write(body)
                    self.wfile.flush()
                    if reply.truncate_to is not None:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): expected in the hanging tests

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeApi]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        server.daemon_threads = True
        server.block_on_close = False
        self.server = server
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
