"""``serve``: the rendered page over HTTP, with the standard library's server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from treadle.errors import VisualizeError
from treadle.tokens import Doc, Span
from treadle.visualize.render import render


def make_server(
    docs: Doc | Span | Iterable[Doc | Span],
    style: str = "dep",
    port: int = 5000,
    host: str = "127.0.0.1",
    options: Mapping[str, Any] | None = None,
) -> ThreadingHTTPServer:
    """A server (not yet serving) whose ``/`` is ``render(docs, style, page=True)``.
    ``port=0`` takes a free port (``server.server_address`` tells which)."""
    body = render(docs, style=style, page=True, options=options).encode("utf8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404, "Only / is served")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a request log line per page view would drown the one useful line

    try:
        return ThreadingHTTPServer((host, port), Handler)
    except OSError as err:
        raise VisualizeError(
            f"Cannot serve on {host}:{port} ({err.strerror or err}); pick another port or host"
        ) from err


def serve(
    docs: Doc | Span | Iterable[Doc | Span],
    style: str = "dep",
    port: int = 5000,
    host: str = "127.0.0.1",
    options: Mapping[str, Any] | None = None,
) -> None:
    """Serve the page until Ctrl-C (blocking)."""
    server = make_server(docs, style=style, port=port, host=host, options=options)
    shown_host, shown_port = server.server_address[:2]
    print(f"Serving the {style} visualization on http://{shown_host}:{shown_port} ...")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped the visualizer.")
    finally:
        server.server_close()
