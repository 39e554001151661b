"""entity_ruler: phrase and token patterns, ids, overlaps, existing entities,
pattern files, errors, scores and serialization, on hand-made Docs."""

from __future__ import annotations

import json

import pytest

import treadle
from tests.helpers import make_tok2vec_config
from treadle.errors import (
    ConfigError,
    DataError,
    MatchPatternError,
    SerializationError,
    TreadleWarning,
)
from treadle.language import Language
from treadle.tokens import Doc, Span
from treadle.training import Example

PATTERNS = [
    {"label": "ORG", "pattern": "Apple", "id": "apple"},
    {"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}], "id": "sf"},
    {"label": "GPE", "pattern": "San"},
    {"label": "PERSON", "pattern": [{"LOWER": "tim"}, {"LOWER": "cook"}]},
]


def ents(doc: Doc) -> list[tuple[str, str, str]]:
    return [(e.text, e.label_, e.id_) for e in doc.ents]


@pytest.fixture
def ruler_nlp(nlp: Language) -> Language:
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    return nlp


def test_phrase_and_token_patterns_with_labels_and_ids(ruler_nlp):
    doc = ruler_nlp("Tim Cook said Apple will open in San Francisco")
    assert ents(doc) == [
        ("Tim Cook", "PERSON", ""),
        ("Apple", "ORG", "apple"),
        ("San Francisco", "GPE", "sf"),  # longer than the phrase "San"
    ]
    assert [t.ent_id_ for t in doc][3] == "apple"
    assert [t.ent_id_ for t in doc][-2:] == ["sf", "sf"]
    assert [t.ent_iob_ for t in doc] == ["B", "I", "O", "B", "O", "O", "O", "B", "I"]


def test_overlapping_matches_longest_then_earliest(nlp):
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "A", "pattern": "a b"},
            {"label": "B", "pattern": "b c"},
            {"label": "C", "pattern": "a b c d"},
            {"label": "D", "pattern": "e f"},
            {"label": "E", "pattern": "f g"},
        ]
    )
    doc = nlp("x a b c d e f g")
    # "a b c d" (longest) wins over its parts; "e f" beats "f g" (same length, earlier).
    assert ents(doc) == [("a b c d", "C", ""), ("e f", "D", "")]


def _preset(doc: Doc, label: str, start: int, end: int) -> Doc:
    doc.ents = [Span(doc, start, end, label=label)]
    return doc


@pytest.mark.parametrize("overwrite", [False, True])
def test_existing_entities_win_unless_overwrite_ents(nlp, overwrite):
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": overwrite})
    ruler.add_patterns([{"label": "GPE", "pattern": "New York"}, {"label": "ORG", "pattern": "Acme"}])
    doc = _preset(nlp.make_doc("Acme left New York City"), "LOC", 3, 5)  # "York City"
    ruler(doc)
    if overwrite:
        assert ents(doc) == [("Acme", "ORG", ""), ("New York", "GPE", "")]
        assert doc[4].ent_iob_ == "O"  # the replaced entity's leftover token
    else:
        assert ents(doc) == [("Acme", "ORG", ""), ("York City", "LOC", "")]


def test_api_labels_ids_len_remove_clear(ruler_nlp):
    ruler = ruler_nlp.get_pipe("entity_ruler")
    assert len(ruler) == 4
    assert ruler.labels == ("GPE", "ORG", "PERSON")
    assert ruler.ids == ("apple", "sf")
    assert "ORG" in ruler and "MISC" not in ruler
    assert ruler.patterns[0] == {"label": "ORG", "pattern": "Apple", "id": "apple"}
    ruler.remove("sf")
    assert len(ruler) == 3 and ruler.ids == ("apple",)
    assert ents(ruler_nlp("in San Francisco")) == [("San", "GPE", "")]
    with pytest.raises(DataError, match="no pattern with id 'nope'"):
        ruler.remove("nope")
    ruler.clear()
    assert len(ruler) == 0 and ruler.labels == ()
    assert ruler_nlp("Apple").ents == ()


def test_phrase_matcher_attr_lower(nlp):
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": "ORG", "pattern": "acme corp"}])
    assert ents(nlp("I like ACME Corp .")) == [("ACME Corp", "ORG", "")]
    assert nlp.get_pipe_config("entity_ruler")["phrase_matcher_attr"] == "LOWER"


def test_bad_phrase_matcher_attr_names_component(nlp):
    with pytest.raises(ConfigError, match="entity_ruler 'entity_ruler'.*phrase_matcher_attr"):
        nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "COLOUR"})


@pytest.mark.parametrize(
    "bad, message",
    [
        ("Apple", r"pattern 1: a pattern must be a dict"),
        ({"pattern": "Apple"}, r"pattern 1: 'label' must be a non-empty string"),
        ({"label": "ORG"}, r"pattern 1 \(label 'ORG'\): the pattern has no 'pattern' key"),
        ({"label": "ORG", "pattern": 3}, r"pattern 1 \(label 'ORG'\): 'pattern' must be a string"),
        ({"label": "ORG", "pattern": []}, r"pattern 1 \(label 'ORG'\): a token pattern must have"),
        ({"label": "ORG", "pattern": ["x"]}, r"pattern 1 \(label 'ORG'\): token 0 of the pattern"),
        ({"label": "ORG", "pattern": "x", "colour": 1}, r"pattern 1: unknown key\(s\) 'colour'"),
        ({"label": "ORG", "pattern": "  "}, r"pattern 1 \(label 'ORG'\): a phrase pattern must not"),
    ],
)
def test_invalid_patterns_name_index_label_and_component(nlp, bad, message):
    ruler = nlp.add_pipe("entity_ruler")
    with pytest.raises(MatchPatternError, match=r"entity_ruler 'entity_ruler': " + message):
        ruler.add_patterns([{"label": "OK", "pattern": "fine"}, bad])
    assert len(ruler) == 0  # nothing added when one pattern is bad


def test_matcher_rejection_names_pattern_and_ruler_is_unchanged(nlp):
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    ruler.add_patterns([{"label": "ORG", "pattern": "Acme"}])
    bad = {"label": "X", "pattern": [{"NO_SUCH_ATTR": "a"}], "id": "x1"}
    with pytest.raises(MatchPatternError, match=r"entity_ruler 'entity_ruler': pattern 1 \(label 'X', id 'x1'\)"):
        ruler.add_patterns([{"label": "GPE", "pattern": "Paris"}, bad])
    assert len(ruler) == 1
    assert ents(nlp("Acme in Paris")) == [("Acme", "ORG", "")]


def test_add_patterns_rejects_a_single_dict(nlp):
    ruler = nlp.add_pipe("entity_ruler")
    with pytest.raises(MatchPatternError, match="expects a list"):
        ruler.add_patterns({"label": "ORG", "pattern": "Acme"})


# --- pattern files and [initialize] ----------------------------------------------------


def _write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_initialize_from_jsonl_file_and_list(nlp, tmp_path):
    path = _write_jsonl(tmp_path / "patterns.jsonl", [PATTERNS[0], "", PATTERNS[1]])
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "OLD", "pattern": "old"}])
    nlp.initialize(lambda: [], )
    assert ruler.labels == ("OLD",)  # no patterns setting: kept
    ruler.initialize(nlp=nlp, patterns=str(path))
    assert len(ruler) == 2 and ruler.labels == ("GPE", "ORG")  # replaced
    ruler.initialize(nlp=nlp, patterns=[PATTERNS[3]])
    assert ruler.labels == ("PERSON",)
    (tmp_path / "p.json").write_text(json.dumps(PATTERNS))
    ruler.initialize(nlp=nlp, patterns=tmp_path / "p.json")
    assert len(ruler) == 4


def test_bad_jsonl_line_names_file_and_line(nlp, tmp_path):
    ruler = nlp.add_pipe("entity_ruler")
    path = _write_jsonl(tmp_path / "bad.jsonl", [PATTERNS[0], '{"label": "ORG", "pattern": '])
    with pytest.raises(DataError, match=r"bad\.jsonl, line 2: invalid JSON"):
        ruler.initialize(nlp=nlp, patterns=str(path))
    path = _write_jsonl(tmp_path / "bad2.jsonl", [PATTERNS[0], "", {"label": "ORG"}])
    with pytest.raises(MatchPatternError, match=r"bad2\.jsonl, line 3 \(label 'ORG'\): the pattern has no"):
        ruler.initialize(nlp=nlp, patterns=str(path))
    with pytest.raises(DataError, match=r"initialize\.components\.entity_ruler\.patterns.*does not exist"):
        ruler.initialize(nlp=nlp, patterns=str(tmp_path / "missing.jsonl"))
    assert len(ruler) == 0


CONFIG = """
[nlp]
lang = "en"
pipeline = ["entity_ruler"]

[components]

[components.entity_ruler]
factory = "entity_ruler"
overwrite_ents = true

[initialize]

[initialize.components]

[initialize.components.entity_ruler]
patterns = "{path}"
"""


def test_patterns_from_config_initialize_section(tmp_path):
    from treadle.config import Config

    path = _write_jsonl(tmp_path / "patterns.jsonl", PATTERNS)
    nlp = Language.from_config(Config().from_str(CONFIG.replace("{path}", str(path))))
    nlp.initialize()
    ruler = nlp.get_pipe("entity_ruler")
    assert ruler.overwrite_ents is True
    assert ents(nlp("Apple")) == [("Apple", "ORG", "apple")]


# --- beside a statistical component ----------------------------------------------------


@Language.component("test_fake_ner")
def fake_ner(doc: Doc) -> Doc:
    """Stands in for a statistical ner: tags every capitalized token as MISC, keeping
    the entities already on the Doc (as treadle's ner does)."""
    existing = list(doc.ents)
    taken = {i for e in existing for i in range(e.start, e.end)}
    new = [Span(doc, t.i, t.i + 1, label="MISC") for t in doc if t.text[:1].isupper() and t.i not in taken]
    doc.set_ents(existing + new, default="outside")
    return doc


@Language.component("test_ents_seen")
def ents_seen(doc: Doc) -> Doc:
    doc.user_data["seen"] = ents(doc)
    return doc


def test_ruler_before_statistical_component(nlp):
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    nlp.add_pipe("test_ents_seen")
    nlp.add_pipe("test_fake_ner")
    doc = nlp("Tim Cook met Bob in San Francisco")
    assert doc.user_data["seen"] == [
        ("Tim Cook", "PERSON", ""),
        ("San Francisco", "GPE", "sf"),
    ]
    assert ents(doc) == [
        ("Tim Cook", "PERSON", ""),
        ("Bob", "MISC", ""),
        ("San Francisco", "GPE", "sf"),
    ]


@pytest.mark.parametrize("overwrite", [False, True])
def test_ruler_after_statistical_component(nlp, overwrite):
    nlp.add_pipe("test_fake_ner")
    nlp.add_pipe("entity_ruler", config={"overwrite_ents": overwrite}).add_patterns(
        PATTERNS + [{"label": "GREETING", "pattern": "hello there"}]
    )
    doc = nlp("hello there Bob in San Francisco")
    if overwrite:
        assert ents(doc) == [
            ("hello there", "GREETING", ""),
            ("Bob", "MISC", ""),
            ("San Francisco", "GPE", "sf"),
        ]
    else:  # fills the gap, keeps the ner's entities
        assert ents(doc) == [
            ("hello there", "GREETING", ""),
            ("Bob", "MISC", ""),
            ("San", "MISC", ""),
            ("Francisco", "MISC", ""),
        ]


# --- scores ------------------------------------------------------------------------------


def test_score_and_default_weights(ruler_nlp):
    gold = ruler_nlp.make_doc("Apple and Tim Cook in San Francisco")
    gold.ents = [Span(gold, 0, 1, "ORG"), Span(gold, 2, 4, "PERSON"), Span(gold, 5, 6, "GPE")]
    example = Example(ruler_nlp.make_doc(gold.text), gold)
    scores = ruler_nlp.evaluate([example])
    assert scores["ents_p"] == pytest.approx(2 / 3)
    assert scores["ents_r"] == pytest.approx(2 / 3)
    assert scores["ents_per_type"]["ORG"]["f"] == pytest.approx(1.0)
    meta = Language.get_factory_meta("entity_ruler")
    assert meta.default_score_weights == {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}


# --- serialization ------------------------------------------------------------------------


def test_to_disk_and_load_round_trip(ruler_nlp, tmp_path):
    ruler = ruler_nlp.get_pipe("entity_ruler")
    ruler.overwrite_ents = True
    ruler_nlp.to_disk(tmp_path / "p")
    lines = (tmp_path / "p" / "entity_ruler" / "patterns.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == PATTERNS
    loaded = treadle.load(tmp_path / "p")
    again = loaded.get_pipe("entity_ruler")
    assert again.patterns == PATTERNS and again.overwrite_ents is True
    text = "Tim Cook said Apple will open in San Francisco"
    assert ents(loaded(text)) == ents(ruler_nlp(text))


def test_bytes_round_trip_and_sourcing(ruler_nlp):
    data = ruler_nlp.get_pipe("entity_ruler").to_bytes()
    other = treadle.blank("en")
    fresh = other.add_pipe("entity_ruler").from_bytes(data)
    assert fresh.patterns == PATTERNS
    third = treadle.blank("en")
    third.add_pipe("entity_ruler", name="rules", source=ruler_nlp)
    assert third.get_pipe("rules").patterns == PATTERNS
    assert ents(third("Apple")) == [("Apple", "ORG", "apple")]


def test_corrupt_saved_patterns_raise_serialization_error(ruler_nlp, tmp_path):
    ruler_nlp.to_disk(tmp_path / "p")
    (tmp_path / "p" / "entity_ruler" / "patterns.jsonl").write_text('{"label": 1}\n')
    # The file no longer matches the hash the save recorded...
    with pytest.raises(SerializationError, match=r"entity_ruler/patterns\.jsonl is damaged"):
        treadle.load(tmp_path / "p")
    # ...and without recorded hashes (an older save) the reader itself names the line.
    meta = json.loads((tmp_path / "p" / "meta.json").read_text())
    del meta["files"]
    (tmp_path / "p" / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(TreadleWarning, match="no file hashes"), pytest.raises(
        SerializationError, match=r"patterns\.jsonl, line 1"
    ):
        treadle.load(tmp_path / "p")


def test_empty_doc_and_no_patterns(nlp):
    nlp.add_pipe("entity_ruler")
    assert nlp("").ents == ()
    assert nlp("nothing here").ents == ()


def test_set_annotations_from_match_spans_equals_call(ruler_nlp):
    ruler = ruler_nlp.get_pipe("entity_ruler")
    text = "Tim Cook said Apple will open in San Francisco"
    a = ruler(ruler_nlp.make_doc(text))
    b = ruler_nlp.make_doc(text)
    spans = ruler.match(b)
    assert [(s.text, s.label_) for s in spans][-2:] == [("San", "GPE"), ("San Francisco", "GPE")]
    ruler.set_annotations(b, spans)
    assert ents(a) == ents(b)


@Language.component("test_er_pos_from_case")
def pos_from_case(doc: Doc) -> Doc:
    for token in doc:
        token.pos_ = "PROPN" if token.text[:1].isupper() else "NOUN"
    return doc


def test_phrase_patterns_on_annotations_run_earlier_components(nlp):
    """With phrase_matcher_attr = POS the pattern texts are annotated by the components
    before the ruler, so the phrase "Acme Corp" matches any PROPN PROPN."""
    nlp.add_pipe("test_er_pos_from_case")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "POS"})
    ruler.add_patterns([{"label": "NAME", "pattern": "Acme Corp"}])
    assert ents(nlp("we met John Smith today")) == [("John Smith", "NAME", "")]


def test_inline_patterns_in_config():
    from treadle.config import Config

    text = CONFIG.replace(
        'patterns = "{path}"',
        'patterns = [{"label": "ORG", "pattern": "Acme"}, {"label": "GPE", "pattern": [{"LOWER": "paris"}]}]',
    )
    nlp = Language.from_config(Config().from_str(text))
    nlp.initialize()
    assert ents(nlp("Acme in Paris")) == [("Acme", "ORG", ""), ("Paris", "GPE", "")]


SMALL_NER = {
    "@architectures": "treadle.TransitionBasedParser.v1",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 32,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": make_tok2vec_config(),
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
