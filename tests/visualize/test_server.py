"""make_server/serve: the page over HTTP, a taken port, Ctrl-C."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

from tests.visualize.docs import by_class, parsed_doc, read_html
from treadle.errors import VisualizeError
from treadle.visualize import make_server, render, serve


@pytest.fixture
def running():
    servers = []

    def start(*args, **kwargs):
        server = make_server(*args, port=0, **kwargs)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_serves_the_rendered_page_on_a_free_port(running):
    doc = parsed_doc()
    url = running(doc, "ent", options={"ents": ["GPE"]})
    with urllib.request.urlopen(url + "/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        body = resp.read().decode("utf8")
    assert body == render(doc, "ent", page=True, options={"ents": ["GPE"]})
    assert [m.attrs["data-label"] for m in by_class(read_html(body), "treadle-entity")] == ["GPE"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url + "/favicon.ico", timeout=10)
    assert err.value.code == 404


def test_a_taken_port_is_a_clear_error(running):
    url = running(parsed_doc())
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(VisualizeError, match=f"Cannot serve on 127.0.0.1:{port}.*another port"):
        make_server(parsed_doc(), port=port)


def test_bad_options_fail_before_the_port_is_taken():
    with pytest.raises(VisualizeError, match="Unknown style"):
        make_server(parsed_doc(), style="tree", port=0)


def test_serve_stops_cleanly_on_ctrl_c(monkeypatch, capsys):
    closed = []

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ThreadingHTTPServer, "serve_forever", interrupted)
    real_close = ThreadingHTTPServer.server_close

    def close(self):
        closed.append(self.server_address)
        real_close(self)

    monkeypatch.setattr(ThreadingHTTPServer, "server_close", close)
    serve(parsed_doc(), style="dep", port=0)  # returns instead of raising
    out = capsys.readouterr().out
    assert "Serving the dep visualization on http://127.0.0.1:" in out
    assert "Stopped the visualizer." in out
    assert len(closed) == 1
