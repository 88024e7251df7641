"""Small HTTP servers on 127.0.0.1 for the tests, each in its own thread of a real socket server
(not a mock of the client): a file server with an optional delay per response."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def file_server(files: dict[str, bytes], delay_seconds: float = 0.0) -> Iterator[tuple[str, list[tuple[float, str]]]]:
    """Serves `files` (path -> bytes) for GET; yields (base URL, [(arrival epoch, path), ...])."""
    seen: list[tuple[float, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Small answers at once, not after the peer's delayed ACK (about 40 ms).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802
            with lock:
                seen.append((time.time(), self.path))
            if delay_seconds > 0:
                time.sleep(delay_seconds)
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
