"""A toy pipeline for the Language tests: a whitespace tokenizer and small components,
registered when this module is imported (by tests/test_language.py,
tests/test_language_multiprocess.py (and its spawned workers),
tests/test_serialization.py and tests/pipeline/test_factories.py)."""

from __future__ import annotations

from typing import Any

from treadle.config import registry
from treadle.language import Language
from treadle.pipeline._internal.pipe import Pipe
from treadle.tokens import Doc


class WhitespaceTokenizer:
    """Splits on single spaces: enough to test the pipeline without language rules."""

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words = text.split(" ") if text else []
        spaces = [True] * len(words)
        if words:
            spaces[-1] = False
        return Doc(self.vocab, words=words, spaces=spaces)


@registry.tokenizers("test.Whitespace.v1")
def make_whitespace_tokenizer() -> Any:
    def create(nlp: Language) -> WhitespaceTokenizer:
        return WhitespaceTokenizer(nlp.vocab)

    return create


WS_CONFIG = {
    "nlp": {"lang": "xx", "pipeline": [], "tokenizer": {"@tokenizers": "test.Whitespace.v1"}},
    "components": {},
}


def make_nlp() -> Language:
    return Language.from_config(WS_CONFIG)


@Language.component("test_mark_a")
def mark_a(doc: Doc) -> Doc:
    doc.user_data.setdefault("trace", []).append("a")
    return doc


@Language.component("test_mark_b")
def mark_b(doc: Doc) -> Doc:
    doc.user_data.setdefault("trace", []).append("b")
    return doc


@Language.component("test_returns_none")
def returns_none(doc: Doc) -> None:
    return None


class Counter:
    """A component with settings and a batched pipe method."""

    def __init__(self, name: str, label: str, times: int) -> None:
        self.name = name
        self.label = label
        self.times = times
        self.batches: list[int] = []

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[self.label] = self.times * len(doc)
        return doc

    def pipe(self, docs, *, batch_size: int = 128):
        docs = list(docs)
        self.batches.append(len(docs))
        for doc in docs:
            yield self(doc)


@Language.factory("test_counter", default_config={"label": "count", "times": 1})
def make_counter(nlp: Language, name: str, label: str, times: int) -> Counter:
    return Counter(name, label, times)


@Language.factory("test_needs_setting")
def make_needs_setting(nlp: Language, name: str, threshold: float) -> Counter:
    return Counter(name, "x", int(threshold))


class Suffixer(Pipe):
    """A custom component with settings that change after creation (saved in cfg.json)."""

    def __init__(self, name: str, suffix: str) -> None:
        super().__init__(name, suffix=suffix, seen=0)

    def __call__(self, doc: Doc) -> Doc:
        self.cfg["seen"] += 1
        doc.user_data["suffixed"] = [t.text + self.cfg["suffix"] for t in doc]
        return doc


@Language.factory("test_suffixer", default_config={"suffix": "!"})
def make_suffixer(nlp: Language, name: str, suffix: str) -> Suffixer:
    return Suffixer(name, suffix)


class FailingSave(Pipe):
    def __call__(self, doc: Doc) -> Doc:
        return doc

    def to_disk(self, path: Any, *, exclude: Any = ()) -> None:
        raise OSError("disk full (simulated)")


@Language.factory("test_failing_save")
def make_failing(nlp: Language, name: str) -> FailingSave:
    return FailingSave(name)


def sentencized_nlp() -> Language:
    nlp = make_nlp()
    nlp.add_pipe("sentencizer", config={"punct_chars": ["|"]})
    nlp.add_pipe("test_suffixer", config={"suffix": "?"})
    return nlp


class RaiseOn:
    """Fails on one given text: for errors raised inside pipe's worker processes, which
    import this module to rebuild the pipeline."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, doc: Doc) -> Doc:
        if doc.text == self.text:
            raise ValueError(f"test_raise_on was told to fail on {self.text!r}")
        doc.user_data["length"] = len(doc)
        return doc


@Language.factory("test_raise_on", default_config={"text": "boom"})
def make_raise_on(nlp: Language, name: str, text: str) -> RaiseOn:
    return RaiseOn(text)
