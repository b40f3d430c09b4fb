"""A real HTTP server on 127.0.0.1 that serves recorded payloads and injects faults.

Each path has a script: a list of `Reply`s served in order (the last one repeats), or a
function of the query string. Every request is recorded (path, query, headers) so tests can
assert what was retried and what was sent. Faults: a delay before answering, a body cut short
of its Content-Length, a trickle (one byte at a time, headers included if asked), a body of any
size generated on the fly (never held in memory), chunked transfer, gzip bombs and redirects.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
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
    trickle: float = 0.0  # seconds between single bytes of the body: a slow-loris server
    trickle_headers: bool = False  # trickle the status line and headers too
    size: int | None = None  # serve this many bytes, `body` repeated, generated while sending
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length


def ok(body: bytes | Any, **headers: str) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(200, raw, dict(headers))


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": location})


@lru_cache(maxsize=2)
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes gzip-compressed (256 MiB -> ~250 KB), built without holding `size`."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    block = bytes(1 << 20)
    parts = [packer.compress(block[: min(len(block), size - done)])
             for done in range(0, size, len(block))]
    return b"".join(parts) + packer.flush()


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

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (a cap or a deadline hit): what the test wanted

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
                    head = self._head(reply)
                    if reply.trickle and reply.trickle_headers:
                        self._trickle(head, reply.trickle)
                    else:
                        self.wfile.write(head)
                    self._body(reply)
                    self.wfile.flush()
                    if reply.truncate_to is not None or reply.trickle:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up: expected in fault tests

            def _head(self, reply: Reply) -> bytes:
                reason = self.responses.get(reply.status, ("",))[0]
                headers = {"Content-Type": "application/json", **reply.headers}
                if reply.chunked:
                    headers["Transfer-Encoding"] = "chunked"
                else:
                    size = reply.size if reply.size is not None else len(reply.body)
                    headers["Content-Length"] = str(size)
                if reply.truncate_to is not None or reply.trickle:
                    headers["Connection"] = "close"
                lines = [f"HTTP/1.1 {reply.status} {reason}"]
                lines += [f"{k}: {v}" for k, v in headers.items()]
                return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

            def _trickle(self, data: bytes, interval: float) -> None:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(interval)

            def _send(self, data: bytes, chunked: bool) -> None:
                if chunked and data:
                    self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
                elif data:
                    self.wfile.write(data)

            def _body(self, reply: Reply) -> None:
                if reply.trickle:
                    self._trickle(reply.body, reply.trickle)
                    return
                if reply.size is not None:
                    filler = reply.body or b"x"
                    block = (filler * (65536 // len(filler) + 1))[:65536]
                    left = reply.size
                    while left > 0:
                        self._send(block[:left], reply.chunked)
                        left -= len(block)
                else:
                    body = reply.body if reply.truncate_to is None else (
                        reply.body[: reply.truncate_to])
                    self._send(body, reply.chunked)
                if reply.chunked:
                    self.wfile.write(b"0\r\n\r\n")

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
