"""The nlp object: pipeline assembly, processing, factories and config validation."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from treadle.config import registry
from treadle.errors import ConfigValidationError, DataError, PipelineError
from treadle.language import Language
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


# --- components used by the tests, registered once at import ---


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


# --- assembly ---


def test_add_pipe_positions() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a", name="a")
    nlp.add_pipe("test_mark_a", name="c")
    nlp.add_pipe("test_mark_b", name="first", first=True)
    nlp.add_pipe("test_mark_b", name="b", before="c")
    nlp.add_pipe("test_mark_b", name="d", after="c")
    nlp.add_pipe("test_mark_b", name="z", last=True)
    nlp.add_pipe("test_mark_b", name="idx", before=1)
    assert nlp.pipe_names == ["first", "idx", "a", "b", "c", "d", "z"]
    assert nlp.component_names == nlp.pipe_names
    assert [n for n, _ in nlp.pipeline] == nlp.pipe_names


def test_add_pipe_errors() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a", name="a")
    with pytest.raises(PipelineError, match="already in the pipeline"):
        nlp.add_pipe("test_mark_a", name="a")
    with pytest.raises(PipelineError, match="before='missing'"):
        nlp.add_pipe("test_mark_b", before="missing")
    with pytest.raises(PipelineError, match="at most one of"):
        nlp.add_pipe("test_mark_b", first=True, after="a")
    with pytest.raises(PipelineError, match="out of range"):
        nlp.add_pipe("test_mark_b", before=5)
    with pytest.raises(PipelineError, match="test_mark_a") as excinfo:
        nlp.add_pipe("test_mark_c")  # unknown: the error lists close names
    assert "Did you mean" in str(excinfo.value)
    with pytest.raises(PipelineError, match="registered factory"):
        nlp.add_pipe(mark_a)  # type: ignore[arg-type]
    assert nlp.pipe_names == ["a"]


def test_remove_replace_rename() -> None:
    nlp = make_nlp()
    comp_a = nlp.add_pipe("test_mark_a", name="a")
    nlp.add_pipe("test_counter", name="count")
    nlp.add_pipe("test_mark_b", name="b")
    assert nlp.remove_pipe("a") == ("a", comp_a)
    assert nlp.pipe_names == ["count", "b"]
    with pytest.raises(PipelineError, match="No component named 'a'"):
        nlp.remove_pipe("a")
    new = nlp.replace_pipe("b", "test_counter", config={"times": 3})
    assert nlp.pipe_names == ["count", "b"]
    assert nlp.get_pipe("b") is new and new.times == 3
    assert nlp.config["components"]["b"]["factory"] == "test_counter"
    nlp.rename_pipe("count", "counter")
    assert nlp.pipe_names == ["counter", "b"]
    assert nlp.get_pipe("counter").name == "counter"
    assert "counter" in nlp.config["components"] and "count" not in nlp.config["components"]
    with pytest.raises(PipelineError, match="already taken"):
        nlp.rename_pipe("counter", "b")
    assert nlp.has_pipe("b") and not nlp.has_pipe("count")


def test_call_runs_components_in_order() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a")
    nlp.add_pipe("test_mark_b")
    nlp.add_pipe("test_mark_a", name="a2")
    doc = nlp("hello world")
    assert [t.text for t in doc] == ["hello", "world"]
    assert doc.user_data["trace"] == ["a", "b", "a"]
    doc = nlp("x y", disable=["test_mark_b"])
    assert doc.user_data["trace"] == ["a", "a"]


def test_component_returning_none_is_named() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_returns_none", name="broken")
    with pytest.raises(PipelineError, match="'broken'.*return doc"):
        nlp("a b")
    with pytest.raises(PipelineError, match="'broken'"):
        list(nlp.pipe(["a b"]))


def test_max_length() -> None:
    nlp = make_nlp()
    nlp.max_length = 10
    with pytest.raises(DataError, match="max_length"):
        nlp("a" * 11)
    assert len(nlp("a b")) == 2


def test_disable_enable_and_select_pipes() -> None:
    nlp = make_nlp()
    for name in ("a", "b", "c"):
        nlp.add_pipe("test_mark_a", name=name)
    nlp.disable_pipe("b")
    assert nlp.pipe_names == ["a", "c"]
    assert nlp.component_names == ["a", "b", "c"]
    assert nlp.disabled == ["b"]
    nlp.enable_pipe("b")
    with nlp.select_pipes(disable=["a", "c"]) as disabled:
        assert disabled == ["a", "c"]
        assert nlp.pipe_names == ["b"]
        assert nlp("x").user_data["trace"] == ["a"]  # only b ran (it marks "a")
    assert nlp.pipe_names == ["a", "b", "c"]
    # enable= disables the rest; a component disabled before stays disabled after.
    nlp.disable_pipe("c")
    selected = nlp.select_pipes(enable="a")
    assert nlp.pipe_names == ["a"]
    selected.restore()
    assert nlp.pipe_names == ["a", "b"]
    assert nlp.disabled == ["c"]
    with pytest.raises(PipelineError, match="No component named 'nope'"):
        nlp.select_pipes(disable=["nope"])
    with pytest.raises(PipelineError, match="disagree"):
        nlp.select_pipes(disable=["a"], enable=["a"])
    assert nlp.pipe_names == ["a", "b"]


def test_select_pipes_restores_after_error() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a", name="a")
    with pytest.raises(RuntimeError), nlp.select_pipes(disable="a"):
        raise RuntimeError("boom")
    assert nlp.pipe_names == ["a"]


# --- pipe ---


def test_pipe_is_lazy_on_infinite_stream() -> None:
    nlp = make_nlp()
    counter = nlp.add_pipe("test_counter")
    seen = []

    def texts():
        for i in itertools.count():
            seen.append(i)
            yield f"text number {i}"

    docs = nlp.pipe(texts(), batch_size=4)
    assert seen == []  # nothing read before the first next()
    first = list(itertools.islice(docs, 5))
    assert [d.text for d in first] == [f"text number {i}" for i in range(5)]
    assert len(seen) == 8  # two batches of 4, no more
    assert counter.batches == [4, 4]  # the component's pipe got whole batches
    assert first[0].user_data["count"] == 3


def test_pipe_as_tuples_and_order() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a")
    data = [(f"w{i} x", {"id": i}) for i in range(7)]
    out = list(nlp.pipe(data, as_tuples=True, batch_size=3))
    assert [ctx["id"] for _, ctx in out] == list(range(7))
    assert [doc.text for doc, _ in out] == [t for t, _ in data]
    with pytest.raises(DataError, match="pairs"):
        list(nlp.pipe(["no context"], as_tuples=True))


def test_pipe_disable_and_docs_input() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a")
    nlp.add_pipe("test_mark_b")
    doc = nlp.make_doc("pre made")
    out = list(nlp.pipe([doc, "from text"], disable=["test_mark_a"]))
    assert out[0] is doc
    assert out[0].user_data["trace"] == ["b"]
    assert out[1].user_data["trace"] == ["b"]
    with pytest.raises(PipelineError, match="No component named 'zzz'"):
        nlp.pipe(["x"], disable=["zzz"])  # checked at the call, not on iteration


# --- factories and config ---


def test_factory_defaults_and_config() -> None:
    nlp = make_nlp()
    counter = nlp.add_pipe("test_counter", config={"times": 2})
    assert (counter.label, counter.times) == ("count", 2)
    block = nlp.config["components"]["test_counter"]
    assert block == {"factory": "test_counter", "label": "count", "times": 2}
    meta = Language.get_factory_meta("test_counter")
    assert meta.default_config == {"label": "count", "times": 1}
    assert nlp.config["nlp"]["pipeline"] == ["test_counter"]


def test_factory_config_errors_name_component_and_key() -> None:
    nlp = make_nlp()
    with pytest.raises(ConfigValidationError) as excinfo:
        nlp.add_pipe("test_counter", name="my_counter", config={"tims": 2})
    msg = str(excinfo.value)
    assert "my_counter" in msg and "tims" in msg and "times" in msg  # suggests the fix
    with pytest.raises(ConfigValidationError, match="threshold.*required"):
        nlp.add_pipe("test_needs_setting")
    with pytest.raises(ConfigValidationError, match="components.c.times"):
        nlp.add_pipe("test_counter", name="c", config={"times": "many"})
    # Lax coercion as in config files: "3" is a fine int.
    assert nlp.add_pipe("test_counter", config={"times": "3"}).times == 3
    assert nlp.pipe_names == ["test_counter"]


def test_factory_must_take_nlp_and_name() -> None:
    with pytest.raises(PipelineError, match="'nlp' and 'name'"):

        @Language.factory("test_bad_signature")
        def bad(settings: int) -> Any:  # pragma: no cover - never called
            return None


def test_component_registered_function_is_returned_as_is() -> None:
    nlp = make_nlp()
    comp = nlp.add_pipe("test_mark_a")
    assert comp is mark_a
    assert nlp.config["components"]["test_mark_a"] == {"factory": "test_mark_a"}
    with pytest.raises(ConfigValidationError, match="unknown setting 'x'"):
        nlp.add_pipe("test_mark_b", config={"x": 1})


def test_factory_with_nested_registered_function() -> None:
    @registry.misc("test.make_label.v1")
    def make_label(prefix: str, n: int) -> str:
        return f"{prefix}{n}"

    nlp = make_nlp()
    counter = nlp.add_pipe(
        "test_counter", config={"label": {"@misc": "test.make_label.v1", "prefix": "n", "n": 3}}
    )
    assert counter.label == "n3"
    # The config keeps the block, not its result, so it can rebuild the component.
    assert nlp.config["components"]["test_counter"]["label"]["@misc"] == "test.make_label.v1"
    with pytest.raises(ConfigValidationError, match="components.bad.label.n"):
        nlp.add_pipe(
            "test_counter",
            name="bad",
            config={"label": {"@misc": "test.make_label.v1", "prefix": "n", "n": "x"}},
        )


def test_meta_lists_pipeline() -> None:
    nlp = make_nlp()
    nlp.add_pipe("test_mark_a")
    nlp.add_pipe("test_mark_b")
    nlp.disable_pipe("test_mark_b")
    nlp.meta["name"] = "demo"
    meta = nlp.meta
    assert meta["name"] == "demo"
    assert meta["lang"] == "xx"
    assert meta["pipeline"] == ["test_mark_a"]
    assert meta["components"] == ["test_mark_a", "test_mark_b"]
    assert meta["disabled"] == ["test_mark_b"]
    assert nlp.config["nlp"]["disabled"] == ["test_mark_b"]


def test_tokenizer_is_replaceable() -> None:
    nlp = make_nlp()

    def char_tokenizer(text: str) -> Doc:
        return Doc(nlp.vocab, words=list(text), spaces=[False] * len(text))

    nlp.tokenizer = char_tokenizer
    assert [t.text for t in nlp("abc")] == ["a", "b", "c"]


def test_extension_attribute_set_by_component() -> None:
    if not Doc.has_extension("test_n_words"):
        Doc.set_extension("test_n_words", default=None)

    @Language.component("test_set_extension")
    def set_extension(doc: Doc) -> Doc:
        doc._.test_n_words = len(doc)
        return doc

    nlp = make_nlp()
    nlp.add_pipe("test_set_extension")
    assert nlp("one two three")._.test_n_words == 3
    assert [d._.test_n_words for d in nlp.pipe(["a", "a b"])] == [1, 2]


def test_initialize_calls_components() -> None:
    calls = []

    class Init:
        def __call__(self, doc: Doc) -> Doc:
            return doc

        def initialize(self, get_examples: Any, *, nlp: Language | None = None) -> None:
            calls.append((get_examples, nlp))

    @Language.factory("test_initializable")
    def make_init(nlp: Language, name: str) -> Init:
        return Init()

    nlp = make_nlp()
    nlp.add_pipe("test_initializable")

    def get_examples() -> list[Any]:
        return []

    nlp.initialize(get_examples)
    assert calls == [(get_examples, nlp)]
    with pytest.raises(PipelineError, match="function"):
        nlp.initialize([])  # type: ignore[arg-type]
