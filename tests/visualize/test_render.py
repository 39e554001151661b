"""render(): what each style draws, escaping, colours, levels, pages, option errors."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from tests.visualize.docs import SCRIPT, by_class, hostile_doc, parsed_doc, read_html
from treadle.errors import VisualizeError
from treadle.tokens import Doc, Span, Vocab
from treadle.visualize import render
from treadle.visualize._common import LABEL_COLORS, PALETTE, Window, label_color
from treadle.visualize.dep import arcs_of
from treadle.visualize.span import span_levels

# ------------------------------------------------------------------------------ dep


def test_dep_draws_one_labelled_arc_per_non_root_token_and_pos_under_words():
    doc = parsed_doc()
    els = read_html(render(doc, "dep", options={"sentences": False}))
    arcs = by_class(els, "treadle-arc")
    non_root = [t for t in doc if t.head.i != t.i]
    assert len(arcs) == len(non_root) == 8
    drawn = {(int(a.attrs["data-child"]), int(a.attrs["data-head"]), a.attrs["data-label"])
             for a in arcs}  # fmt: skip
    assert drawn == {(t.i, t.head.i, t.dep_) for t in non_root}
    for arc in arcs:
        assert arc.text == arc.attrs["data-label"]  # the label is drawn, not just stored
        assert [c.tag for c in arc.children] == ["path", "polygon", "text"]  # arrow head
    assert [e.text for e in by_class(els, "treadle-word-text")] == [t.text for t in doc]
    assert [e.text for e in by_class(els, "treadle-word-tag")] == [t.pos_ for t in doc]


def test_dep_tag_falls_back_to_tag_and_fine_grained_prefers_it():
    vocab = Vocab()
    doc = Doc(vocab, words=["a", "b"], tags=["DT", "NN"], pos=[None, "NOUN"], heads=[1, 1],
              deps=["det", "ROOT"])  # fmt: skip
    tags = [e.text for e in by_class(read_html(render(doc, "dep")), "treadle-word-tag")]
    assert tags == ["DT", "NOUN"]
    fine = render(doc, "dep", options={"fine_grained": True})
    assert [e.text for e in by_class(read_html(fine), "treadle-word-tag")] == ["DT", "NN"]


def test_dep_one_svg_per_sentence_unless_told():
    doc = parsed_doc()
    assert len(by_class(read_html(render(doc, "dep")), "treadle-dep-svg")) == 2
    assert len(by_class(read_html(render(doc, "dep", options={"sentences": False})),
                        "treadle-dep-svg")) == 1  # fmt: skip
    # Arcs keep their sentence's token numbering, each SVG counting from 0.
    second = read_html(render(doc[7:10], "dep"))
    assert {(a.attrs["data-child"], a.attrs["data-head"])
            for a in by_class(second, "treadle-arc")} == {("0", "1"), ("2", "1")}  # fmt: skip


def test_dep_nested_arcs_stand_higher_than_what_they_enclose():
    doc = parsed_doc()
    arcs = arcs_of(Window(doc, 0, len(doc)))
    for outer in arcs:
        for inner in arcs:
            if inner is not outer and outer.start <= inner.start and inner.end <= outer.end:
                assert outer.level > inner.level, (outer, inner)
    # the label sits above its arc's top, the higher level's label higher up
    els = read_html(render(doc, "dep", options={"sentences": False}))
    y = {a.attrs["data-label"] + a.attrs["data-child"]: float(a.children[2].attrs["y"])
         for a in by_class(els, "treadle-arc")}  # fmt: skip
    assert y["obj3"] < y["det2"] and y["punct6"] < y["prep4"] < y["obj3"]


def test_dep_a_span_draws_only_its_own_arcs():
    doc = parsed_doc()
    els = read_html(render(doc[1:4], "dep"))
    assert [e.text for e in by_class(els, "treadle-word-text")] == ["saw", "the", "cat"]
    # nsubj (head outside) is left out; det and obj are inside
    assert sorted(a.attrs["data-label"] for a in by_class(els, "treadle-arc")) == ["det", "obj"]


def _svg_width(html: str) -> float:
    return float(by_class(read_html(html), "treadle-dep-svg")[0].attrs["width"])


def test_dep_svg_grows_with_the_words_inside_a_scrolling_container():
    vocab = Vocab()
    short = Doc(vocab, words=["w"] * 5, heads=[0] * 5, deps=["ROOT"] + ["dep"] * 4)
    long = Doc(vocab, words=["w"] * 40, heads=[0] * 40, deps=["ROOT"] + ["dep"] * 39)
    assert _svg_width(render(long, "dep")) > 7 * _svg_width(render(short, "dep"))
    container = by_class(read_html(render(long, "dep")), "treadle-dep")[0]
    assert "overflow-x: auto" in container.attrs["style"]
    # A word longer than a column widens its column instead of running into its neighbours.
    wide = Doc(vocab, words=["a", "x" * 60, "b"], heads=[0, 0, 0], deps=["ROOT", "dep", "dep"])
    xs = [float(e.attrs["x"]) for e in by_class(read_html(render(wide, "dep")),
                                                 "treadle-word-text")]  # fmt: skip
    assert xs[1] - xs[0] > 60 * 0.5 * 16 / 2 and xs[2] - xs[1] > 60 * 0.5 * 16 / 2


def test_dep_compact_draws_square_arcs_closer_together():
    doc = parsed_doc()
    normal, compact = render(doc, "dep"), render(doc, "dep", options={"compact": True})
    assert _svg_width(compact) < _svg_width(normal)
    paths = [a.children[0].attrs["d"] for a in by_class(read_html(compact), "treadle-arc")]
    assert paths and all(" C" not in d and " H" in d for d in paths)


# ------------------------------------------------------------------------------ ent


def test_ent_marks_each_entity_with_its_text_and_label():
    doc = parsed_doc()
    html = render(doc, "ent")
    marks = by_class(read_html(html), "treadle-entity")
    assert len(marks) == len(doc.ents) == 2
    for mark, ent in zip(marks, doc.ents, strict=True):
        assert mark.tag == "mark"
        assert by_class(mark.children, "treadle-entity-text")[0].text == ent.text
        assert by_class(mark.children, "treadle-entity-label")[0].text == ent.label_
    # the whole text is there, in order, spaces and all
    container = by_class(read_html(html), "treadle-ents")[0]
    assert container.text == doc.text.replace("Alice", "AlicePERSON").replace("Paris", "ParisGPE")


def test_ent_colours_per_label_defaults_and_overrides():
    vocab = Vocab()
    doc = Doc(vocab, words=["A", "B", "C", "D"], ents=["B-PERSON", "B-ORG", "B-PERSON", "B-ZZ_NEW"])
    marks = by_class(read_html(render(doc, "ent")), "treadle-entity")
    colour = [re.search(r"background: ([^;]+);", m.attrs["style"]).group(1) for m in marks]
    assert colour[0] == colour[2] == LABEL_COLORS["PERSON"]
    assert colour[1] == LABEL_COLORS["ORG"] != colour[0]
    assert colour[3] in PALETTE
    custom = render(doc, "ent", options={"colors": {"PERSON": "#123456"}})
    colour2 = [re.search(r"background: ([^;]+);", m.attrs["style"]).group(1)
               for m in by_class(read_html(custom), "treadle-entity")]  # fmt: skip
    assert colour2 == ["#123456", colour[1], "#123456", colour[3]]


def test_default_colour_of_a_new_label_is_the_same_in_another_process():
    labels = ["ZZ_NEW", "SOMETHING", "x", "ÜBER"]
    code = (
        "from treadle.visualize._common import label_color; "
        f"print(' '.join(label_color(l, {{}}) for l in {labels!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONHASHSEED": "12345", **_env()}, check=True)  # fmt: skip
    assert out.stdout.split() == [label_color(label, {}) for label in labels]
    assert len(set(out.stdout.split())) > 1  # not one colour for everything


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}


def test_ent_filter_by_label():
    doc = parsed_doc()
    marks = by_class(read_html(render(doc, "ent", options={"ents": ["GPE"]})), "treadle-entity")
    assert [m.attrs["data-label"] for m in marks] == ["GPE"]


# ----------------------------------------------------------------------------- span


def test_span_levels_never_put_overlapping_spans_on_one_level():
    rng = random.Random(0)
    doc = Doc(Vocab(), words=["w"] * 30)
    for _ in range(50):
        spans = []
        for _ in range(rng.randint(1, 12)):
            start = rng.randrange(30)
            spans.append(Span(doc, start, rng.randint(start + 1, 30), rng.choice("ABC")))
        levels = span_levels(spans)
        assert sorted(id(s) for s, _ in levels) == sorted(id(s) for s in spans)
        for a, la in levels:
            for b, lb in levels:
                if a is not b and a.start < b.end and b.start < a.end:
                    assert la != lb
        # greedy in start order: a level is only opened when every lower one is taken
        used = sorted({lvl for _, lvl in levels})
        assert used == list(range(len(used)))


def test_span_bands_under_each_token_of_each_span_on_its_level():
    doc = parsed_doc()
    els = read_html(render(doc, "span"))
    tokens = by_class(els, "treadle-span-token")
    assert [t.text.split("<")[0] for t in tokens][0].startswith("Alice")
    bands = by_class(els, "treadle-span-band")
    spans = list(doc.spans["sc"])
    assert len(bands) == sum(len(s) for s in spans)
    level = {b.attrs["data-label"]: int(b.attrs["data-level"]) for b in bands}
    assert level == {"A": 0, "B": 1, "C": 0, "D": 1}
    labels = by_class(els, "treadle-span-label")
    assert [x.text for x in labels] == ["A", "B", "C", "D"]  # once each, at the start


def test_span_key_option_and_missing_group():
    doc = parsed_doc()
    doc.spans["other"] = [Span(doc, 0, 1, "ONLY")]
    els = read_html(render(doc, "span", options={"spans_key": "other"}))
    assert [x.text for x in by_class(els, "treadle-span-label")] == ["ONLY"]
    none = read_html(render(doc, "span", options={"spans_key": "absent"}))
    assert by_class(none, "treadle-span-band") == []
    assert len(by_class(none, "treadle-span-token")) == len(doc)


# ------------------------------------------------------------------- all the styles


@pytest.mark.parametrize("style", ["dep", "ent", "span"])
def test_every_text_is_escaped(style):
    doc = hostile_doc()
    for page in (False, True):
        html = render(doc, style, page=page)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        # ...yet the words read back as the Doc's text, markup and all
        every = " ".join(e.text for e in read_html(html))
        assert SCRIPT in every and "&amp;" in every and '"x"' in every


def test_labels_are_escaped_in_attributes_too():
    doc = hostile_doc()
    ent = by_class(read_html(render(doc, "ent")), "treadle-entity")[0]
    assert ent.attrs["data-label"] == "<img src=x onerror=alert(1)>"
    band = by_class(read_html(render(doc, "span")), "treadle-span-band")[0]
    assert band.attrs["data-label"] == '<script>alert("span")</script>'
    arc = by_class(read_html(render(doc, "dep")), "treadle-arc")[0]
    assert arc.attrs["data-label"] == "<b>subj</b>"


@pytest.mark.parametrize("style", ["dep", "ent", "span"])
def test_page_wraps_a_whole_document_with_a_figure_per_doc(style):
    docs = [parsed_doc(), parsed_doc()[0:3]]
    page = render(docs, style, page=True)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    els = read_html(page)
    assert [e.tag for e in els[:3]] == ["html", "head", "meta"]
    assert len([e for e in els if e.tag == "figure"]) == 2
    fragment = render(docs, style)
    assert "<html" not in fragment and "<body" not in fragment
    assert len(by_class(read_html(fragment), "treadle-doc")) == 2


@pytest.mark.parametrize("style", ["dep", "ent", "span"])
def test_an_empty_doc_renders(style):
    html = render(Doc(Vocab(), words=[]), style)
    assert by_class(read_html(html), "treadle-doc")


def test_errors_name_the_style_or_option():
    doc = parsed_doc()
    with pytest.raises(VisualizeError, match=r"Unknown style 'tree'; use one of: dep, ent, span"):
        render(doc, "tree")
    with pytest.raises(VisualizeError, match=r"Unknown option 'colours' for style 'ent'.*colors"):
        render(doc, "ent", options={"colours": {}})
    with pytest.raises(
        VisualizeError, match=r"options\['distance'\] \(style 'dep'\) must be a number"
    ):
        render(doc, "dep", options={"distance": "wide"})
    with pytest.raises(VisualizeError, match=r"options\['compact'\].*true or false"):
        render(doc, "dep", options={"compact": 1})
    with pytest.raises(VisualizeError, match=r"options\['ents'\].*list of labels"):
        render(doc, "ent", options={"ents": "GPE"})
    with pytest.raises(VisualizeError, match=r"options\['colors'\].*CSS colours"):
        render(doc, "span", options={"colors": {"A": 3}})
    with pytest.raises(VisualizeError, match="options must be a dict"):
        render(doc, "dep", options=["compact"])
    with pytest.raises(VisualizeError, match="not str"):
        render("Alice saw the cat", "dep")
    with pytest.raises(VisualizeError, match="item 1 is int"):
        render([doc, 3], "dep")


def test_a_span_shows_only_its_own_text_entities_and_spans():
    doc = parsed_doc()
    window = doc[4:7]  # "in Paris."
    ents = read_html(render(window, "ent"))
    assert by_class(ents, "treadle-ents")[0].text == "in ParisGPE."
    assert [m.attrs["data-label"] for m in by_class(ents, "treadle-entity")] == ["GPE"]
    spans = read_html(render(window, "span"))
    # C [3,6) starts before the window: left out; D [5,6) is inside
    assert [x.text for x in by_class(spans, "treadle-span-label")] == ["D"]
    assert [t.attrs["data-i"] for t in by_class(spans, "treadle-span-token")] == ["0", "1", "2"]
