"""``treadle init vectors``: writes a pipeline; a malformed file is one message, no traceback."""

from __future__ import annotations

import treadle
from tests.helpers import cli
from tests.tokens.vector_files import write_text


def test_init_vectors_writes_pipeline(tmp_path, small_vectors, capsys):
    src = write_text(tmp_path / "v.vec", *small_vectors)
    assert cli("init", "vectors", "en", src, tmp_path / "out", "--prune", "4", "--name", "mini") == 0
    assert "Saved 4 vectors of 4 dims (6 words)" in capsys.readouterr().err
    nlp = treadle.load(tmp_path / "out")
    assert nlp.vocab.vectors.name == "mini" and nlp.vocab.has_vector("Banana")


def test_malformed_line_is_reported_without_traceback(tmp_path, capsys):
    (tmp_path / "bad.txt").write_text("the 1 2\nof 3\n", encoding="utf8")
    assert cli("init", "vectors", "en", tmp_path / "bad.txt", tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "bad.txt:2: expected a word and 2 values" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
