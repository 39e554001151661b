"""``treadle init fill-config``: output, diff, pretraining block, validation errors."""

from __future__ import annotations

import pytest

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.config import Config, registry

# Names the default configs call; other workers register the real ones. Stand-ins are
# registered here only where a name is missing, and removed afterwards.
DEFAULT_NAMES = [
    ("tokenizers", "treadle.Tokenizer.v1"),
    ("readers", "treadle.Corpus.v1"),
    ("readers", "treadle.JsonlCorpus.v1"),
    ("batchers", "treadle.batch_by_words.v1"),
    ("schedules", "compounding.v1"),
    ("optimizers", "Adam.v1"),
    ("loggers", "treadle.ConsoleLogger.v1"),
    ("architectures", "treadle.PretrainCharacters.v1"),
]


@pytest.fixture
def default_functions():
    added = []
    for category, name in DEFAULT_NAMES:
        reg = registry.get_registry(category)
        if name not in reg:

            def stand_in(**kwargs):
                return kwargs

            reg.register(name, func=stand_in)
            added.append((reg, name))
    yield
    for reg, name in added:
        reg._table.pop(name, None)


def test_fill_config_writes_complete_config(tmp_path, capsys, default_functions):
    base = tmp_path / "base.cfg"
    base.write_text('[nlp]\nlang = "en"\n\n[training]\ndropout = 0.3\n', encoding="utf8")
    out = tmp_path / "out" / "filled.cfg"
    assert run_app(app, ["init", "fill-config", str(base), str(out)]) == 0
    filled = Config().from_disk(out, interpolate=False)
    assert filled["nlp"]["lang"] == "en"
    assert filled["training"]["dropout"] == 0.3
    assert filled["training"]["max_steps"] == 20000
    assert filled["training"]["seed"] == "${system.seed}"
    assert filled["corpora"]["train"]["path"] == "${paths.train}"
    assert "pretraining" not in filled
    assert Config().from_disk(out)["training"]["seed"] == 0


def test_fill_config_stdout_diff_pretraining(tmp_path, capsys, default_functions):
    base = tmp_path / "base.cfg"
    base.write_text('[nlp]\nlang = "de"\n', encoding="utf8")
    argv = ["init", "fill-config", str(base), "-", "--diff", "--pretraining"]
    assert run_app(app, argv) == 0
    out, err = capsys.readouterr()
    filled = Config().from_str(out, interpolate=False)
    assert filled["pretraining"]["component"] == "tok2vec"
    assert filled["corpora"]["pretrain"]["path"] == "${paths.raw_text}"
    assert filled["nlp"]["lang"] == "de"
    assert "+max_steps = 20000" in err and "+[pretraining]" in err


def test_fill_config_validation_error(tmp_path, capsys, default_functions):
    base = tmp_path / "base.cfg"
    base.write_text("[training]\nmax_step = 10\n", encoding="utf8")
    assert run_app(app, ["init", "fill-config", str(base), "-"]) == 1
    assert "training.max_step: Extra inputs are not permitted" in capsys.readouterr().err


def test_fill_config_writes_every_component_default(tmp_path, capsys):
    base = tmp_path / "base.cfg"
    base.write_text(
        '[nlp]\nlang = "en"\npipeline = ["tagger"]\n\n[components]\n\n'
        '[components.tagger]\nfactory = "tagger"\n',
        encoding="utf8",
    )
    out = tmp_path / "filled.cfg"
    assert run_app(app, ["init", "fill-config", str(base), str(out)]) == 0
    tagger = Config().from_disk(out, interpolate=False)["components"]["tagger"]
    # The factory's keyword defaults, its default_config's model, and that model's
    # own defaults, down to the innermost architecture.
    assert tagger["factory"] == "tagger"
    assert {"overwrite", "label_smoothing"} <= set(tagger)
    assert tagger["model"]["@architectures"] == "treadle.Tagger.v1"
    tok2vec = tagger["model"]["tok2vec"]
    assert tok2vec["@architectures"] and {"width", "depth"} <= set(tok2vec)
    # What fill-config wrote builds the same pipeline as the bare block.
    assert registry.fill(Config().from_disk(out, interpolate=False)) == Config().from_disk(
        out, interpolate=False
    )


def test_fill_config_pretraining_runs_with_treadle_pretrain(tmp_path, capsys):
    from tests.training.test_pretrain import write_texts

    base = tmp_path / "base.cfg"
    base.write_text(
        '[nlp]\nlang = "en"\npipeline = ["tok2vec"]\n\n[components]\n\n'
        '[components.tok2vec]\nfactory = "tok2vec"\n',
        encoding="utf8",
    )
    filled_path = tmp_path / "filled.cfg"
    assert run_app(app, ["init", "fill-config", str(base), str(filled_path), "--pretraining"]) == 0
    filled = Config().from_disk(filled_path, interpolate=False)
    assert filled["pretraining"]["objective"] == {
        "@architectures": "treadle.PretrainCharacters.v1",
        "maxout_pieces": 3,
        "hidden_size": 300,
        "n_characters": 4,
    }
    assert filled["corpora"]["pretrain"]["@readers"] == "treadle.JsonlCorpus.v1"
    texts = write_texts(tmp_path / "texts.jsonl")
    argv = [
        "pretrain", str(filled_path), str(tmp_path / "out"), "--paths.raw_text", str(texts),
        "--pretraining.max_epochs", "1", "--pretraining.objective.hidden_size", "16",
    ]  # fmt: skip
    assert run_app(app, argv) == 0
    assert (tmp_path / "out" / "model0.safetensors").exists()
