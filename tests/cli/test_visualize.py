"""``treadle visualize``: a text or a file through a saved pipeline, to a page or served."""

from __future__ import annotations

import pytest

import treadle
import treadle.visualize
from tests.helpers import ENTITY_PATTERNS, cli
from tests.visualize.docs import by_class, read_html


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory):
    """A saved pipeline that finds entities (an entity ruler) and sentences."""
    nlp = treadle.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(ENTITY_PATTERNS)
    nlp.add_pipe("sentencizer")
    path = tmp_path_factory.mktemp("visualize") / "model"
    nlp.to_disk(path)
    return path


def test_a_text_to_an_ent_page(ruler_model, tmp_path, capsys):
    out = tmp_path / "pages" / "ents.html"
    code = cli("visualize", ruler_model, "Google moved to Iraq.", "--style", "ent", "-o", out)
    assert code == 0
    assert "Saved the ent visualization of 1 text(s)" in capsys.readouterr().err
    els = read_html(out.read_text(encoding="utf8"))
    marks = by_class(els, "treadle-entity")
    assert [(m.attrs["data-label"], by_class(m.children, "treadle-entity-text")[0].text)
            for m in marks] == [("ORG", "Google"), ("GPE", "Iraq")]  # fmt: skip


def test_a_file_is_one_text_a_line(ruler_model, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("Google is big.\n\nThe United States. Iraq too.\n", encoding="utf8")
    out = tmp_path / "dep.html"
    assert cli("visualize", ruler_model, texts, "--output", out) == 0
    els = read_html(out.read_text(encoding="utf8"))
    # the blank line is skipped; the sentencizer splits the second text in two
    assert len([e for e in els if e.tag == "figure"]) == 2
    assert len(by_class(els, "treadle-dep-svg")) == 3


def test_without_output_it_serves(ruler_model, monkeypatch):
    calls = []
    monkeypatch.setattr(treadle.visualize, "serve", lambda docs, **kw: calls.append((docs, kw)))
    assert cli("visualize", ruler_model, "Iraq.", "--style", "span", "--spans-key", "ruler",
               "--port", "8123", "--host", "0.0.0.0") == 0  # fmt: skip
    ((docs, kwargs),) = calls
    assert [d.text for d in docs] == ["Iraq."]
    assert kwargs == {"style": "span", "port": 8123, "host": "0.0.0.0",
                      "options": {"spans_key": "ruler"}}  # fmt: skip


def test_errors_print_without_a_traceback(ruler_model, tmp_path, capsys):
    assert cli("visualize", ruler_model, "x", "--style", "tree", "-o", tmp_path / "x.html") == 1
    err = capsys.readouterr().err
    assert "--style 'tree' is not a style; use one of: dep, ent, span" in err
    assert "Traceback" not in err and not (tmp_path / "x.html").exists()
    assert cli("visualize", tmp_path / "no-model", "x", "-o", tmp_path / "x.html") == 1
    assert "Traceback" not in capsys.readouterr().err
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n", encoding="utf8")
    assert cli("visualize", ruler_model, blank, "-o", tmp_path / "x.html") == 1
    assert "no texts (every line is blank)" in capsys.readouterr().err
