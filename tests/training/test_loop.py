"""The training loop end to end on tiny data, run through ``treadle train``: reproducibility,
resume, Ctrl-C, custom code, frozen components, patience and max_epochs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import treadle
from tests.helpers import (
    TRAIN_CONFIG,
    assert_same_weights,
    cli,
    data_args,
    write_config,
    write_tagger_corpora,
)
from treadle.config import Config


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_tagger_corpora(tmp_path_factory.mktemp("train-data"))


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
    text = TRAIN_CONFIG.replace(
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
        TRAIN_CONFIG.replace(
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
    text = TRAIN_CONFIG.replace(
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


PARSER_BLOCK = """
[components.parser]
factory = "parser"
update_with_oracle_cut_size = 4

[components.parser.model]
@architectures = "treadle.TransitionBasedParser.v1"
state_type = "parser"
hidden_width = 16
maxout_pieces = 2
nO = null

[components.parser.model.tok2vec]
@architectures = "treadle.Tok2Vec.v1"

[components.parser.model.tok2vec.embed]
@architectures = "treadle.MultiHashEmbed.v1"
width = 16
attrs = ["NORM"]
rows = [200]
include_static_vectors = false

[components.parser.model.tok2vec.encode]
@architectures = "treadle.MaxoutWindowEncoder.v1"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2
"""


def test_parser_oracle_cuts_resume_exactly(tmp_path):
    """The parser draws random cut points for its oracle: a resumed run must draw the
    same ones (they come from the generators the checkpoint saves)."""
    from tests.helpers import SAMPLE_DATA
    from treadle.tokens import DocBin

    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", corpus, "--n-sents", "4") == 0
    paths = {s: corpus / f"ewt-sample-{s}.docbin" for s in ("train", "dev")}
    assert max(len(d) for d in DocBin().from_disk(paths["train"]).get_docs(treadle.blank("en").vocab)) > 20
    text = TRAIN_CONFIG.replace('pipeline = ["tagger"]', 'pipeline = ["tagger", "parser"]')
    text = text.replace("[corpora]\n", PARSER_BLOCK + "\n[corpora]\n")
    text = text.replace("start = 20\nstop = 60", "start = 200\nstop = 300")
    cfg = write_config(tmp_path / "config.cfg", text)
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("train", cfg, "--output", a, *data_args(paths), "--training.max_steps", "8") == 0
    assert cli("train", cfg, "--output", b, *data_args(paths), "--training.max_steps", "5") == 0
    assert cli("train", cfg, "--output", b, *data_args(paths), "--training.max_steps", "8",
               "--resume") == 0  # fmt: skip
    wa = load_file(str(a / "model-last" / "parser" / "model.safetensors"))
    wb = load_file(str(b / "model-last" / "parser" / "model.safetensors"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
