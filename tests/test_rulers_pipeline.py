"""Rule-based components inside trained pipelines: an attribute_ruler and an
entity_ruler trained beside a tok2vec + tagger from one config with ``treadle train``,
saved and loaded; then the rulers sourced (and frozen) into a second pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import treadle
from treadle.cli._app import app
from treadle.cli._errors import run_app
from treadle.config import Config
from treadle.language import Language
from treadle.tokens import Doc
from treadle.training import Example

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "data"

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
ENTITY_PATTERNS = [
    {"label": "GPE", "pattern": "Iraq", "id": "iraq"},
    {"label": "GPE", "pattern": [{"LOWER": "united"}, {"LOWER": "states"}]},
    {"label": "ORG", "pattern": [{"LOWER": "google"}]},
]


def cli(*args: object) -> int:
    return run_app(app, [str(a) for a in args])


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
        assert cli("convert", SAMPLE / f"ewt-sample-{split}.conllu", out) == 0
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


SEEN: list[list[str]] = []


@Language.component("test_rulers_spy")
def rulers_spy(doc: Doc) -> Doc:
    SEEN.append([t.lemma_ for t in doc] + [e.label_ for e in doc.ents])
    return doc


def test_rulers_in_nlp_update_as_annotating_components():
    """Rulers have nothing to learn: nlp.update runs them only when they annotate, and
    then later components see their output."""
    nlp = treadle.blank("en")
    nlp.add_pipe("attribute_ruler").add([[{"LOWER": "dogs"}]], {"LEMMA": "dog"})
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ANIMAL", "pattern": "dogs"}])
    nlp.add_pipe("test_rulers_spy", name="spy")
    SEEN.clear()
    gold = Doc(nlp.vocab, words=["dogs", "bark"])
    examples = [Example(Doc(nlp.vocab, words=["dogs", "bark"]), gold)]
    nlp.update(examples, annotates=["attribute_ruler", "entity_ruler", "spy"])
    assert SEEN == [["dog", "", "ANIMAL"]]
    examples = [Example(Doc(nlp.vocab, words=["dogs", "bark"]), gold)]
    nlp.update(examples)  # not annotating: the rulers do not run
    assert examples[0].predicted[0].lemma_ == ""


def test_init_config_template_has_the_rulers_without_a_tok2vec():
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", "entity_ruler,attribute_ruler,span_ruler")
    assert config["nlp"]["pipeline"] == ["entity_ruler", "attribute_ruler", "span_ruler"]
    assert "tok2vec" not in config["components"]
    assert config["components"]["entity_ruler"]["overwrite_ents"] is False
    assert config["training"]["score_weights"]["ents_f"] > 0
    nlp = Language.from_config(config)
    nlp.initialize()
    nlp.get_pipe("entity_ruler").add_patterns(ENTITY_PATTERNS)
    assert [e.label_ for e in nlp("Google").ents] == ["ORG"]
    # One encoder for the tagger alone: the rulers do not count as tok2vec users.
    config, _ = make_starter_config("en", "tagger,entity_ruler")
    assert "tok2vec" not in config["nlp"]["pipeline"]


SMALL_NER = {
    "@architectures": "treadle.TransitionBasedParser.v1",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 32,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": {
        "@architectures": "treadle.HashEmbedCNN.v1",
        "width": 32,
        "depth": 1,
        "embed_size": 500,
        "window_size": 1,
        "maxout_pieces": 2,
        "subword_features": False,
    },
}


@pytest.mark.slow
def test_entity_ruler_before_and_after_a_trained_ner():
    nlp = treadle.blank("en")
    nlp.add_pipe("ner", config={"model": SMALL_NER})
    words = ["Acme", "hired", "Bob", "in", "Paris", "."]
    gold = Doc(nlp.vocab, words=words, ents=["B-ORG", "O", "B-PERSON", "O", "B-GPE", "O"])

    def examples() -> list[Example]:
        return [Example(Doc(nlp.vocab, words=words), gold)]

    optimizer = nlp.initialize(examples)
    optimizer.learn_rate = 0.01
    for _ in range(25):
        nlp.update(examples(), sgd=optimizer)
    text = "Acme hired Bob in Paris ."
    assert [(e.text, e.label_) for e in nlp(text).ents] == [
        ("Acme", "ORG"), ("Bob", "PERSON"), ("Paris", "GPE"),
    ]  # fmt: skip
    # Before the ner: the ner keeps the ruler's entity and labels the rest.
    nlp.add_pipe("entity_ruler", name="before", first=True).add_patterns(
        [{"label": "COMPANY", "pattern": "Acme", "id": "acme"}]
    )
    assert [(e.text, e.label_, e.id_) for e in nlp(text).ents] == [
        ("Acme", "COMPANY", "acme"), ("Bob", "PERSON", ""), ("Paris", "GPE", ""),
    ]  # fmt: skip
    nlp.remove_pipe("before")
    # After the ner: existing entities win unless overwrite_ents.
    after = nlp.add_pipe("entity_ruler", name="after")
    after.add_patterns([{"label": "CITY", "pattern": "Paris"}, {"label": "VERB", "pattern": "hired"}])
    assert [e.label_ for e in nlp(text).ents] == ["ORG", "VERB", "PERSON", "GPE"]
    after.overwrite_ents = True
    assert [e.label_ for e in nlp(text).ents] == ["ORG", "VERB", "PERSON", "CITY"]
