"""The training loop end to end on tiny data: CLI, overrides, custom code, resume,
reproducibility, Ctrl-C, frozen components, bad configs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.config import Config
from treadle.tokens import Doc, DocBin

WORDS = {
    "DT": ["the", "a", "this", "every"],
    "NN": ["cat", "dog", "house", "tree", "car", "bird"],
    "VB": ["sees", "likes", "finds", "eats"],
    "JJ": ["big", "red", "small", "old"],
}


def _sentence(rng: random.Random) -> tuple[list[str], list[str]]:
    pattern = rng.choice([["DT", "NN", "VB", "DT", "NN"], ["DT", "JJ", "NN", "VB", "DT", "NN"]])
    return [rng.choice(WORDS[t]) for t in pattern], pattern


def write_corpus(path: Path, n: int, seed: int) -> Path:
    import treadle

    nlp = treadle.blank("en")
    rng = random.Random(seed)
    db = DocBin()
    for _ in range(n):
        words, tags = _sentence(rng)
        db.add(Doc(nlp.vocab, words=words, tags=tags))
    db.to_disk(path)
    return path


CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["tagger"]

[components]

[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "treadle.Tagger.v1"
nO = null

[components.tagger.model.tok2vec]
@architectures = "treadle.Tok2Vec.v1"

[components.tagger.model.tok2vec.embed]
@architectures = "treadle.MultiHashEmbed.v1"
width = 16
attrs = ["NORM", "SUFFIX"]
rows = [200, 100]
include_static_vectors = false

[components.tagger.model.tok2vec.encode]
@architectures = "treadle.MaxoutWindowEncoder.v1"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[training]
seed = ${system.seed}
dropout = 0.1
max_steps = 12
eval_frequency = 4
patience = 0
accumulate_gradient = 1
max_epochs = 0
frozen_components = []
dev_corpus = "corpora.dev"

[training.batcher]
@batchers = "treadle.batch_by_words.v1"
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 20
stop = 60
compound = 1.1

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
use_averages = false

[training.logger]
@loggers = "treadle.ConsoleLogger.v1"
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("train-data")
    return {
        "train": write_corpus(root / "train.docbin", 60, seed=1),
        "dev": write_corpus(root / "dev.docbin", 20, seed=2),
    }


def write_config(path: Path, text: str = CONFIG) -> Path:
    path.write_text(text, encoding="utf8")
    return path


def cli(*args: str | Path) -> int:
    return run_app(app, [str(a) for a in args])


def data_args(data: dict[str, Path]) -> list[str]:
    return ["--paths.train", str(data["train"]), "--paths.dev", str(data["dev"])]


def weights(model_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(model_dir / "tagger" / "model.safetensors"))


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.allclose(wa[key], wb[key], atol=1e-6, rtol=0), key


def test_train_cli_writes_best_and_last(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, *data_args(data)) == 0
    printed = capsys.readouterr().out
    assert "TAG_ACC" in printed and "LOSS TAGGER" in printed
    rows = [line for line in printed.splitlines() if line.strip().startswith(("0 ", "1 ", "2 "))]
    assert len(rows) == 3  # evaluations at steps 4, 8, 12
    for name in ("model-best", "model-last"):
        assert (out / name / "config.cfg").exists()
        meta = json.loads((out / name / "meta.json").read_text())
        assert "tag_acc" in meta["performance"]
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 12
    assert [c[1] for c in state["checkpoints"]] == [4, 8, 12]
    # no temporary folders are left behind
    assert sorted(p.name for p in out.iterdir()) == ["model-best", "model-last"]
    import treadle

    nlp = treadle.load(out / "model-best")
    doc = nlp("the cat sees a dog")
    assert all(t.tag_ for t in doc)


def test_overrides_from_cli_and_env_reach_saved_config(tmp_path, data, monkeypatch):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", "--training.dropout 0.25")
    code = cli(
        "train", cfg, "--output", out, *data_args(data),
        "--training.max_steps", "4", "--training.dropout", "0.05",
    )  # fmt: skip
    assert code == 0
    saved = Config().from_disk(out / "model-last" / "config.cfg")
    assert saved["training"]["max_steps"] == 4
    assert saved["training"]["dropout"] == 0.25  # the environment wins
    assert saved["paths"]["train"] == str(data["train"])
    assert saved["corpora"]["train"]["path"] == str(data["train"])
    # filled defaults are written too
    assert saved["training"]["accumulate_gradient"] == 1
    assert saved["training"]["batcher"]["discard_oversize"] is False


def test_same_seed_same_weights_and_resume_equals_uninterrupted(tmp_path, data):
    cfg = write_config(tmp_path / "config.cfg")
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert cli("train", cfg, "--output", a, *data_args(data)) == 0
    assert cli("train", cfg, "--output", b, *data_args(data)) == 0
    assert_same_weights(a / "model-last", b / "model-last")
    # half the steps, then resume for the rest
    assert cli("train", cfg, "--output", c, *data_args(data), "--training.max_steps", "6") == 0
    state = json.loads((c / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 6
    assert cli("train", cfg, "--output", c, *data_args(data), "--resume") == 0
    state = json.loads((c / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 12
    assert_same_weights(a / "model-last", c / "model-last")
    # a different seed gives different weights (the comparison can fail)
    d = tmp_path / "d"
    assert cli("train", cfg, "--output", d, *data_args(data), "--system.seed", "7") == 0
    with pytest.raises(AssertionError):
        assert_same_weights(a / "model-last", d / "model-last")


def test_resume_with_accumulation_and_averages(tmp_path, data):
    cfg = write_config(tmp_path / "config.cfg")
    extra = ["--training.accumulate_gradient", "2", "--training.optimizer.use_averages", "true"]
    a, c = tmp_path / "a", tmp_path / "c"
    assert cli("train", cfg, "--output", a, *data_args(data), *extra) == 0
    assert cli("train", cfg, "--output", c, *data_args(data), *extra,
               "--training.max_steps", "8") == 0  # fmt: skip
    assert (c / "model-last" / "training" / "weights.safetensors").exists()
    assert cli("train", cfg, "--output", c, *data_args(data), *extra, "--resume") == 0
    assert_same_weights(a / "model-last", c / "model-last")


INTERRUPT_CODE = """
from treadle.config import registry

@registry.callbacks("test_interrupt.v1")
def make_interrupt(at_step: int):
    def before_update(nlp, info):
        if at_step and info["step"] == at_step:
            raise KeyboardInterrupt
    return before_update
"""


def test_ctrl_c_keeps_last_checkpoint_and_resumes_exactly(tmp_path, data, capsys):
    code_file = tmp_path / "interrupt.py"
    code_file.write_text(INTERRUPT_CODE)
    text = CONFIG.replace(
        "[training.batcher]\n",
        '[training.before_update]\n@callbacks = "test_interrupt.v1"\nat_step = 7\n\n'
        "[training.batcher]\n",
    )
    cfg = write_config(tmp_path / "config.cfg", text)
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, "--code", code_file, *data_args(data)) == 130
    err = capsys.readouterr().err
    assert "Interrupted at step 7" in err and "--resume" in err
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 7  # the last completed step, saved on the interrupt
    assert (out / "model-best" / "meta.json").exists()  # the step-4 best stays
    import treadle

    treadle.load(out / "model-last")  # a complete pipeline
    # resume with the callback switched off: same weights as a run never interrupted
    assert cli("train", cfg, "--output", out, "--code", code_file, *data_args(data),
               "--training.before_update.at_step", "0", "--resume") == 0  # fmt: skip
    ref = tmp_path / "ref"
    assert cli("train", cfg, "--output", ref, "--code", code_file, *data_args(data),
               "--training.before_update.at_step", "0") == 0  # fmt: skip
    assert_same_weights(ref / "model-last", out / "model-last")


CUSTOM_CODE = """
import json
from pathlib import Path

import torch
from treadle.config import registry
from treadle.training import Example


@registry.readers("test_reader.v1")
def make_reader(path: str, repeat: int):
    def read(nlp):
        from treadle.tokens import DocBin

        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        while True:  # an endless stream: the run stops at max_steps
            for doc in docs:
                yield Example(nlp.make_doc(doc.text), doc)
    return read


@registry.batchers("test_batcher.v1")
def make_batcher(size):
    def batch(items):
        out, target = [], int(next(size))
        for item in items:
            out.append(item)
            if len(out) >= target:
                yield out
                out, target = [], int(next(size))
    return batch


@registry.schedules("test_schedule.v1")
def my_schedule(start: int = 2):
    while True:
        yield start
        start += 1


@registry.loggers("test_logger.v1")
def make_logger(path: str):
    def setup(nlp):  # the one-argument form of older loggers
        rows = []

        def log_step(info):
            if info is not None:
                rows.append({"step": info["step"], "score": info["score"],
                             "losses": info["losses"]})

        def finalize():
            Path(path).write_text(json.dumps(rows))
        return log_step, finalize
    return setup


@registry.architectures("test_tagger.v1")
def build(tok2vec: torch.nn.Module, nO: int | None = None) -> torch.nn.Module:
    return registry.architectures.get("treadle.Tagger.v1")(tok2vec=tok2vec, nO=nO)
"""


def test_custom_reader_batcher_schedule_logger_architecture(tmp_path, data):
    code_file = tmp_path / "functions.py"
    code_file.write_text(CUSTOM_CODE)
    log_path = tmp_path / "log.json"
    text = (
        CONFIG.replace(
            '[corpora.train]\n@readers = "treadle.Corpus.v1"\npath = ${paths.train}',
            '[corpora.train]\n@readers = "test_reader.v1"\npath = ${paths.train}\nrepeat = 1',
        )
        .replace(
            '[training.batcher]\n@batchers = "treadle.batch_by_words.v1"\ntolerance = 0.2\n\n'
            '[training.batcher.size]\n@schedules = "compounding.v1"\nstart = 20\nstop = 60\n'
            "compound = 1.1",
            '[training.batcher]\n@batchers = "test_batcher.v1"\n\n[training.batcher.size]\n'
            '@schedules = "test_schedule.v1"\nstart = 3',
        )
        .replace(
            '[training.logger]\n@loggers = "treadle.ConsoleLogger.v1"',
            f'[training.logger]\n@loggers = "test_logger.v1"\npath = "{log_path}"',
        )
        .replace('@architectures = "treadle.Tagger.v1"', '@architectures = "test_tagger.v1"')
    )
    assert "test_reader.v1" in text and "test_batcher.v1" in text and "test_logger.v1" in text
    # labels must be given: an endless reader can't be read through for them
    text += '\n[initialize]\n\n[initialize.components]\n\n[initialize.components.tagger]\n'
    text += 'labels = ["DT", "NN", "VB", "JJ"]\n'
    cfg = write_config(tmp_path / "config.cfg", text)
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, "--code", code_file, *data_args(data)) == 0
    rows = json.loads(log_path.read_text())
    assert [r["step"] for r in rows] == [4, 8, 12]
    assert all(r["losses"]["tagger"] > 0 for r in rows)
    saved = Config().from_disk(out / "model-last" / "config.cfg")
    assert saved["components"]["tagger"]["model"]["@architectures"] == "test_tagger.v1"


def test_frozen_component_is_not_updated(tmp_path, data):
    cfg = write_config(tmp_path / "config.cfg")
    first = tmp_path / "first"
    assert cli("train", cfg, "--output", first, *data_args(data), "--training.max_steps", "4") == 0
    text = CONFIG.replace(
        '[components.tagger]\nfactory = "tagger"\n\n[components.tagger.model]\n'
        '@architectures = "treadle.Tagger.v1"\nnO = null\n',
        f'[components.tagger]\nsource = "{first / "model-last"}"\n\n',
    )
    text = text[: text.index("[components.tagger.model.tok2vec]")] + text[
        text.index("[corpora]") :
    ]
    text = text.replace("frozen_components = []", 'frozen_components = ["tagger"]')
    cfg2 = write_config(tmp_path / "frozen.cfg", text)
    second = tmp_path / "second"
    assert cli("train", cfg2, "--output", second, *data_args(data)) == 0
    assert_same_weights(first / "model-last", second / "model-last")
    # the same sourced component, not frozen, does change
    third = tmp_path / "third"
    text3 = text.replace('frozen_components = ["tagger"]', "frozen_components = []")
    cfg3 = write_config(tmp_path / "unfrozen.cfg", text3)
    assert cli("train", cfg3, "--output", third, *data_args(data)) == 0
    with pytest.raises(AssertionError):
        assert_same_weights(first / "model-last", third / "model-last")


def test_bad_config_exits_1_naming_the_key(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg", CONFIG.replace("dropout = 0.1", "dropout = 3"))
    assert cli("train", cfg, "--output", tmp_path / "o", *data_args(data)) == 1
    err = capsys.readouterr().err
    assert "training.dropout" in err and "Traceback" not in err


def test_missing_corpus_path_names_the_key(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, "--output", tmp_path / "o", "--paths.dev", str(data["dev"])) == 1
    err = capsys.readouterr().err
    assert "corpora.train.path" in err and "Traceback" not in err
    code = cli("train", cfg, "--paths.train", str(tmp_path / "nope.docbin"),
               "--paths.dev", str(data["dev"]))  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "corpora.train.path" in err and "nope.docbin" in err


def test_bad_data_file_fails_cleanly(tmp_path, data, capsys):
    bad = tmp_path / "bad.docbin"
    bad.write_bytes(b"not a docbin")
    cfg = write_config(tmp_path / "config.cfg")
    code = cli("train", cfg, "--paths.train", str(bad), "--paths.dev", str(data["dev"]))
    assert code == 1
    err = capsys.readouterr().err
    assert "bad.docbin" in err and "Traceback" not in err


def test_unknown_frozen_component_and_corpus_name(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, *data_args(data), "--training.frozen_components", '["nope"]') == 1
    assert "training.frozen_components" in capsys.readouterr().err
    assert cli("train", cfg, *data_args(data), "--training.dev_corpus", "corpora.test") == 1
    assert "training.dev_corpus" in capsys.readouterr().err


def test_resume_without_state_is_an_error(tmp_path, data, capsys):
    cfg = write_config(tmp_path / "config.cfg")
    assert cli("train", cfg, "--output", tmp_path / "empty", *data_args(data), "--resume") == 1
    assert "Nothing to resume" in capsys.readouterr().err


def test_patience_stops_early(tmp_path, data):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    # learn_rate 0: the score never improves after the first evaluation
    assert cli("train", cfg, "--output", out, *data_args(data), "--training.patience", "4",
               "--training.optimizer.learn_rate", "0.0", "--training.dropout", "0.0") == 0  # fmt: skip
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    assert state["step"] == 8 and state["best_step"] == 4


def test_max_epochs_ends_the_run(tmp_path, data):
    cfg = write_config(tmp_path / "config.cfg")
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, *data_args(data), "--training.max_epochs", "1",
               "--training.max_steps", "0") == 0  # fmt: skip
    state = json.loads((out / "model-last" / "training" / "state.json").read_text())
    # one pass over 60 sentences of 5-6 words in batches of 20+ words
    assert 5 <= state["step"] <= 20
    assert state["epoch"] == 0
