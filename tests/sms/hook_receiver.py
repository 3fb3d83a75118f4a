"""A real HTTP endpoint on 127.0.0.1 that records every hook POST and answers with the statuses it is given."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered


class Receiver:
    """``with Receiver() as hooks:``; ``hooks.fail(500, 500)`` answers the next two POSTs with 500."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._statuses: deque[int] = deque()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    status = receiver._statuses.popleft() if receiver._statuses else 200
                    receiver.received.append(Received(self.path, dict(self.headers), raw, status))
                    receiver._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail(self, *statuses: int) -> None:
        with self._arrived:
            self._statuses.extend(statuses)

    def succeed(self) -> None:
        """Answer 200 from now on."""
        with self._arrived:
            self._statuses.clear()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until at least ``count`` POSTs arrived (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} hook POST(s) arrived, expected {count}")
                self._arrived.wait(left)
            return list(self.received)

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
