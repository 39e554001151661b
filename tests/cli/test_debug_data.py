"""``treadle debug data``: exit codes and output, partial configs, missing paths."""

from __future__ import annotations

from tests.helpers import DEBUG_DATA_CONFIG, TAGGER_BLOCK, annotated_doc, save_docbin, tagged_docs
from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import registry


def _write_config(tmp_path, pipeline, components) -> str:
    path = tmp_path / "config.cfg"
    path.write_text(
        DEBUG_DATA_CONFIG.format(pipeline=str(pipeline).replace("'", '"'), components=components),
        encoding="utf8",
    )
    return str(path)


def test_cli_exit_codes_and_output(tmp_path, vocab, capsys, monkeypatch):
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    cfg = _write_config(tmp_path, ["tagger"], TAGGER_BLOCK)
    train_docs = tagged_docs(vocab, 25) + [annotated_doc(vocab, ["rare"], tags=["FW"])]
    train = save_docbin(tmp_path / "train.docbin", train_docs)
    dev_ok = save_docbin(tmp_path / "dev.docbin", tagged_docs(vocab, 3, start=50))
    args = ["debug", "data", cfg, "--paths.train", train, "--paths.dev", dev_ok]
    assert run_app(app, args) == 0  # warnings only
    out = capsys.readouterr().out
    assert "Training: 26 doc(s), 101 word(s)" in out
    assert "⚠ Label 'FW' has only 1 training example(s)" in out
    assert "0 error(s), 1 warning(s)" in out

    assert run_app(app, [*args, "--ignore-warnings"]) == 0
    out = capsys.readouterr().out
    assert "Label 'FW'" not in out and "(not shown)" in out

    # A dev tag train lacks (UD EWT has such MORPH values) warns; it does not fail.
    dev_new = save_docbin(tmp_path / "dev_new.docbin", [annotated_doc(vocab, ["x"], tags=["ZZ"])])
    code = run_app(app, ["debug", "data", cfg, "--paths.train", train, "--paths.dev", dev_new])
    out = capsys.readouterr().out
    assert code == 0
    assert "⚠ 1 label(s) in the development data never occur" in out

    dev_bad = save_docbin(tmp_path / "dev_bad.docbin", [])
    code = run_app(app, ["debug", "data", cfg, "--paths.train", train, "--paths.dev", dev_bad])
    out = capsys.readouterr().out
    assert code == 1
    assert "✘ The development corpus has no documents." in out


def test_cli_partial_config_and_missing_path(tmp_path, vocab, capsys, monkeypatch):
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    cfg = tmp_path / "partial.cfg"
    cfg.write_text('[nlp]\nlang = "en"\npipeline = []\n', encoding="utf8")
    train = save_docbin(tmp_path / "train.docbin", tagged_docs(vocab, 2))
    code = run_app(
        app,
        [
            "debug",
            "data",
            str(cfg),
            "--paths.train",
            train,
            "--paths.dev",
            str(tmp_path / "nope.docbin"),
        ],
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "nope.docbin" in err and "Traceback" not in err
    assert "treadle.Corpus.v1" in registry.readers
