"""lemmatizer (lookup / rule modes): tables from [initialize] or initialize(lookups=...),
missing-table errors, overwrite, sourcing, saving and loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import treadle
from treadle.config import Config
from treadle.errors import ConfigError, PipelineError
from treadle.tokens import Doc
from treadle.training import Example

LOOKUP = {"lemma_lookup": {"geese": "goose", "went": "go", "Mice": "mouse"}}
RULES = {
    "lemma_rules": {
        "NOUN": [["ies", "y"], ["ses", "s"], ["s", ""]],
        "verb": [["ied", "y"], ["ed", "e"], ["ed", ""], ["ing", ""], ["ing", "e"], ["s", ""]],
    },
    "lemma_exc": {"noun": {"mice": "mouse", "children": ["child"]}, "verb": {"went": "go"}},
    "lemma_index": {"verb": ["walk", "hope", "carry", "bake"]},
}


def tokens(nlp: treadle.Language, words: list[str], pos: list[str] | None = None) -> Doc:
    return Doc(nlp.vocab, words=words, pos=pos)


def lookup_nlp(tables: object = LOOKUP, mode: str = "lookup") -> treadle.Language:
    nlp = treadle.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": mode})
    nlp.get_pipe("lemmatizer").initialize(lookups=tables)
    return nlp


def lemmas(doc: Doc) -> list[str]:
    return [t.lemma_ for t in doc]


def test_lookup_mode_falls_back_to_the_form() -> None:
    nlp = lookup_nlp()
    assert lemmas(nlp("The geese went home")) == ["The", "goose", "go", "home"]
    assert lemmas(nlp("Mice mice")) == ["mouse", "mice"]  # exact form, case-sensitive


def test_rule_mode_exceptions_rules_and_index() -> None:
    nlp = lookup_nlp(RULES, mode="rule")
    lem = nlp.get_pipe("lemmatizer")
    words = ["Parties", "classes", "dogs", "mice", "children", "walked", "hoped", "carried", "went", "baking"]
    pos = ["NOUN", "NOUN", "NOUN", "NOUN", "NOUN", "VERB", "VERB", "VERB", "VERB", "VERB"]
    doc = lem(tokens(nlp, words, pos))
    assert lemmas(doc) == ["party", "class", "dog", "mouse", "child", "walk", "hope", "carry", "go", "bake"]
    # a form in the index is its own lemma; an unknown verb takes the first rule's candidate
    assert lem.rule_lemmatize("walk", "VERB") == "walk"
    assert lem.rule_lemmatize("zorbed", "VERB") == "zorbe"
    # no tables for the POS, or no POS: the lowercased form
    assert lemmas(lem(tokens(nlp, ["The", "Dogs"], ["DET", ""]))) == ["the", "dogs"]
    # the same form under different POS gets different lemmas (the cache keys on POS)
    assert lemmas(lem(tokens(nlp, ["walks", "walks"], ["NOUN", "VERB"]))) == ["walk", "walk"]
    assert lemmas(lem(tokens(nlp, ["hoped", "hoped"], ["NOUN", "VERB"]))) == ["hoped", "hope"]


def test_rule_mode_uses_lookup_for_tokens_without_pos() -> None:
    nlp = lookup_nlp({**RULES, "lemma_lookup": {"Went": "go"}}, mode="rule")
    doc = nlp.get_pipe("lemmatizer")(tokens(nlp, ["Went", "Dogs", "dogs"], ["", "", "NOUN"]))
    assert lemmas(doc) == ["go", "dogs", "dog"]


def test_tables_from_initialize_config_inline_and_from_file(tmp_path: Path) -> None:
    text = """
[nlp]
lang = "en"
pipeline = ["lemmatizer"]

[components]

[components.lemmatizer]
factory = "lemmatizer"
mode = "lookup"

[initialize]

[initialize.components]

[initialize.components.lemmatizer]
lookups = {"lemma_lookup": {"geese": "goose"}}
"""
    nlp = treadle.Language.from_config(Config().from_str(text))
    nlp.initialize()
    assert lemmas(nlp("geese fly")) == ["goose", "fly"]
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(LOOKUP), encoding="utf8")
    cfg = Config().from_str(text.replace('{"lemma_lookup": {"geese": "goose"}}', json.dumps(str(path))))
    nlp = treadle.Language.from_config(cfg)
    nlp.initialize()
    assert lemmas(nlp("geese went")) == ["goose", "go"]


def test_missing_tables_are_named() -> None:
    nlp = treadle.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    with pytest.raises(ConfigError, match=r"'lemmatizer'.*'lookup'.*'lemma_lookup'.*initialize\.components\.lemmatizer"):
        nlp.initialize()
    with pytest.raises(ConfigError, match="lemma_lookup"):
        nlp("some text")
    nlp = treadle.blank("en")
    nlp.add_pipe("lemmatizer", name="lemmas", config={"mode": "rule"})
    with pytest.raises(ConfigError, match=r"'lemmas'.*'rule'.*'lemma_rules'"):
        nlp.get_pipe("lemmas").initialize(lookups={"lemma_lookup": {"a": "b"}})


def test_bad_tables_and_settings() -> None:
    nlp = treadle.blank("en")
    lem = nlp.add_pipe("lemmatizer", config={"mode": "rule"})
    with pytest.raises(ConfigError, match="unknown table.*'lemma_rulez'"):
        lem.initialize(lookups={"lemma_rulez": {}})
    with pytest.raises(ConfigError, match=r"'lemma_rules', POS 'noun'.*pairs"):
        lem.initialize(lookups={"lemma_rules": {"noun": [["s"]]}})
    with pytest.raises(ConfigError, match="does not exist"):
        lem.initialize(lookups="/no/such/tables.json")
    with pytest.raises(PipelineError, match="mode"):
        nlp.add_pipe("lemmatizer", name="other", config={"mode": "magic"})


def test_overwrite() -> None:
    nlp = lookup_nlp()
    lem = nlp.get_pipe("lemmatizer")
    doc = Doc(nlp.vocab, words=["geese", "went"], lemmas=["GOOSE", None])
    assert lemmas(lem(doc)) == ["GOOSE", "go"]
    lem.cfg["overwrite"] = True
    assert lemmas(lem(doc)) == ["goose", "go"]


def test_score_and_annotating_in_update() -> None:
    nlp = lookup_nlp()
    eg = Example.from_dict(nlp.make_doc("geese went home"), {"lemmas": ["goose", "go", "house"]})
    nlp.update([eg], annotates=["lemmatizer"])
    assert lemmas(eg.predicted) == ["goose", "go", "home"]
    assert nlp.get_pipe("lemmatizer").score([eg])["lemma_acc"] == pytest.approx(2 / 3)
    assert nlp.evaluate([eg])["lemma_acc"] == pytest.approx(2 / 3)
    # frozen: runs as in prediction
    eg = Example.from_dict(nlp.make_doc("geese went"), {"lemmas": ["goose", "go"]})
    nlp.update([eg], exclude=["lemmatizer"])
    assert lemmas(eg.predicted) == ["goose", "go"]


@pytest.mark.parametrize("mode,tables", [("lookup", LOOKUP), ("rule", RULES)])
def test_round_trips_and_sourcing(tmp_path: Path, mode: str, tables: dict) -> None:
    nlp = lookup_nlp(tables, mode=mode)
    words, pos = ["geese", "went", "Parties", "walked"], ["NOUN", "VERB", "NOUN", "VERB"]
    expected = lemmas(nlp.get_pipe("lemmatizer")(tokens(nlp, words, pos)))
    nlp.to_disk(tmp_path / "m")
    assert (tmp_path / "m" / "lemmatizer" / "lookups.msgpack").exists()
    loaded = treadle.load(tmp_path / "m")
    lem = loaded.get_pipe("lemmatizer")
    assert lem.mode == mode
    assert lemmas(lem(tokens(loaded, words, pos))) == expected
    blank = treadle.blank("en").add_pipe("lemmatizer", config={"mode": mode})
    blank.from_bytes(nlp.get_pipe("lemmatizer").to_bytes())
    assert blank.tables == nlp.get_pipe("lemmatizer").tables
    other = treadle.blank("en")
    other.add_pipe("lemmatizer", source=loaded)
    assert lemmas(other.get_pipe("lemmatizer")(tokens(other, words, pos))) == expected
