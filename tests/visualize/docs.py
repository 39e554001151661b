"""Hand-built Docs and an HTML reader for the visualizer tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from treadle.tokens import Doc, Span, Vocab

SCRIPT = "<script>window.__pwned=1</script>"


def parsed_doc(vocab: Vocab | None = None) -> Doc:
    """Two sentences with POS, a parse and entities; spans in ``sc``: A [0,2), B [1,4)
    and C [3,6) overlap in a chain, D [5,6) sits inside C."""
    vocab = vocab or Vocab()
    words = ["Alice", "saw", "the", "cat", "in", "Paris", ".", "It", "slept", "."]
    doc = Doc(
        vocab,
        words=words,
        spaces=[True, True, True, True, True, False, True, True, False, False],
        heads=[1, 1, 3, 1, 1, 4, 1, 8, 8, 8],
        deps=["nsubj", "ROOT", "det", "obj", "prep", "pobj", "punct", "nsubj", "ROOT", "punct"],
        pos=["PROPN", "VERB", "DET", "NOUN", "ADP", "PROPN", "PUNCT", "PRON", "VERB", "PUNCT"],
        ents=["B-PERSON", "O", "O", "O", "O", "B-GPE", "O", "O", "O", "O"],
    )
    doc.spans["sc"] = [Span(doc, 0, 2, "A"), Span(doc, 1, 4, "B"), Span(doc, 3, 6, "C"),
                       Span(doc, 5, 6, "D")]  # fmt: skip
    return doc


def hostile_doc(vocab: Vocab | None = None) -> Doc:
    """Markup in words, POS tags, dependency labels, entity and span labels."""
    vocab = vocab or Vocab()
    words = ["Bob", SCRIPT, "&amp;", '"x"']
    doc = Doc(
        vocab,
        words=words,
        heads=[1, 1, 1, 1],
        deps=["<b>subj</b>", "ROOT", "dep", "dep"],
        tags=["<i>NNP</i>", "VB", "CC", "NN"],
        ents=["B-<img src=x onerror=alert(1)>", "O", "O", "O"],
    )
    doc.spans["sc"] = [Span(doc, 1, 3, '<script>alert("span")</script>')]
    return doc


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""  # all text inside, descendants included
    children: list[Element] = field(default_factory=list)


class _Reader(HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "path", "polygon"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.all.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        self.all.append(el)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text += data


def read_html(html: str) -> list[Element]:
    """Every element of ``html`` in document order (checks that tags nest properly)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    assert reader.stack == [reader.root], "unclosed elements"
    return reader.all


def by_class(elements: list[Element], cls: str) -> list[Element]:
    return [e for e in elements if cls in e.attrs.get("class", "").split()]
