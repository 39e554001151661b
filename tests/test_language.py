"""The nlp object (treadle/language.py): pipeline assembly, processing, from_config,
sourcing, evaluate, initialize, and nlp.update (one backward over all losses, shared
tok2vec, frozen and annotating components, gradient accumulation, dropout)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch

import treadle
from tests.helpers import TRAIN_CONFIG, make_listener_config, make_tok2vec_config
from tests.toy_pipeline import WS_CONFIG, make_nlp, mark_a, sentencized_nlp
from treadle.config import Config, registry
from treadle.errors import ConfigError, DataError, PipelineError
from treadle.language import Language
from treadle.ml import Adam, fix_random_seed
from treadle.tokens import Doc
from treadle.training import Example

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


# --- meta, tokenizer, extensions, initialize ---


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


# --- evaluate, and initialize from a training config ---


def test_nlp_evaluate_leaves_the_examples_alone(trained_tagger):
    model, _ = trained_tagger
    nlp = treadle.load(model)
    words = ["the", "cat", "sees", "a", "dog"]
    ref = Doc(nlp.vocab, words=words, tags=["DT", "NN", "VB", "DT", "NN"])
    eg = Example(Doc(nlp.vocab, words=words), ref)
    scores = nlp.evaluate([eg])
    assert scores["tag_acc"] == 1.0
    assert not eg.predicted.has_annotation("TAG")
    with pytest.raises(treadle.errors.DataError, match="Example"):
        nlp.evaluate(["not an example"])


def test_initialize_reads_labels_from_config_and_runs_callbacks():
    from treadle.config import Config, registry

    calls = []

    @registry.callbacks("test_init_cb.v1")
    def make_cb(tag: str):
        def cb(nlp):
            calls.append(tag)
            return nlp

        return cb

    cfg = Config().from_str(TRAIN_CONFIG)
    cfg["initialize"] = {
        "before_init": {"@callbacks": "test_init_cb.v1", "tag": "before"},
        "after_init": {"@callbacks": "test_init_cb.v1", "tag": "after"},
        "components": {"tagger": {"labels": ["A", "B", "C"]}},
    }
    nlp = treadle.language.Language.from_config(cfg)
    optimizer = nlp.initialize()
    assert calls == ["before", "after"]
    assert nlp.get_pipe("tagger").labels == ("A", "B", "C")
    assert optimizer.learn_rate == 0.01  # from [training.optimizer]
    assert nlp.begin_training() is not None


# --- from_config, sourcing, blank ---


def test_from_config_callbacks() -> None:
    calls: list[str] = []

    @registry.callbacks("test.before_creation.v1")
    def make_before(extra_stop: str) -> Any:
        def before(lang_cls: type[Language]) -> type[Language]:
            calls.append("before")
            lang_cls.Defaults.stop_words = lang_cls.Defaults.stop_words | {extra_stop}
            return lang_cls

        return before

    @registry.callbacks("test.after_creation.v1")
    def make_after() -> Any:
        def after(nlp: Language) -> Language:
            calls.append(f"after:{nlp.pipe_names}")
            nlp.max_length = 123
            return nlp

        return after

    @registry.callbacks("test.after_pipeline.v1")
    def make_after_pipeline() -> Any:
        def after_pipeline(nlp: Language) -> Language:
            calls.append(f"after_pipeline:{nlp.pipe_names}")
            nlp.get_pipe("test_counter").times = 7
            return nlp

        return after_pipeline

    config = Config().from_str(
        """
[nlp]
lang = "xx"
pipeline = ["test_counter"]

[nlp.tokenizer]
@tokenizers = "test.Whitespace.v1"

[nlp.before_creation]
@callbacks = "test.before_creation.v1"
extra_stop = "zorp"

[nlp.after_creation]
@callbacks = "test.after_creation.v1"

[nlp.after_pipeline_creation]
@callbacks = "test.after_pipeline.v1"

[components]

[components.test_counter]
factory = "test_counter"
times = 2
"""
    )
    nlp = Language.from_config(config)
    assert calls == ["before", "after:[]", "after_pipeline:['test_counter']"]
    assert nlp.max_length == 123
    assert nlp.get_pipe("test_counter").times == 7
    assert "zorp" in nlp.lang_data.stop_words
    assert nlp.vocab["zorp"].is_stop
    # The callback edited a copy: a fresh nlp for the same language is unaffected.
    assert "zorp" not in treadle.blank("xx").lang_data.stop_words
    # The callbacks stay in the config, so a saved pipeline runs them again.
    assert nlp.config["nlp"]["after_creation"] == {"@callbacks": "test.after_creation.v1"}


def test_from_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"no \[components.missing\]"):
        Language.from_config({**WS_CONFIG, "nlp": {**WS_CONFIG["nlp"], "pipeline": ["missing"]}})
    bad = {
        "nlp": {**WS_CONFIG["nlp"], "pipeline": ["x"]},
        "components": {"x": {"times": 2}},
    }
    with pytest.raises(ConfigError, match=r"\[components.x\] needs either factory"):
        Language.from_config(bad)
    with pytest.raises(ConfigError, match="nlp.lang"):
        Language.from_config({"nlp": {"pipeline": []}})
    with pytest.raises(ConfigError, match=r"nlp.pipline: unknown setting \(did you mean 'pipeline'"):
        Language.from_config({**WS_CONFIG, "nlp": {**WS_CONFIG["nlp"], "pipline": ["x"]}})


def test_from_config_keeps_other_sections() -> None:
    config = {
        **WS_CONFIG,
        "nlp": {**WS_CONFIG["nlp"], "pipeline": ["sentencizer"], "disabled": ["sentencizer"]},
        "components": {"sentencizer": {"factory": "sentencizer"}},
        "training": {"max_steps": 5},
    }
    nlp = Language.from_config(config)
    assert nlp.disabled == ["sentencizer"]
    assert nlp.config["training"] == {"max_steps": 5}
    assert nlp.config["components"]["sentencizer"] == {
        "factory": "sentencizer",
        "punct_chars": None,
        "overwrite": False,
    }
    assert Language.from_config(nlp.config).config == nlp.config


def test_add_pipe_source_object() -> None:
    src = sentencized_nlp()
    src.get_pipe("sentencizer").punct_chars = ["#"]
    nlp = make_nlp()
    comp = nlp.add_pipe("sentencizer", name="sents", source=src)
    assert comp is not src.get_pipe("sentencizer")  # a copy on this nlp's vocab
    assert comp.punct_chars == ("#",)
    assert nlp.get_pipe_config("sents")["factory"] == "sentencizer"
    with pytest.raises(treadle.errors.PipelineError, match="has only"):
        nlp.add_pipe("nope", source=src)


def test_blank_with_default_tokenizer() -> None:
    nlp = treadle.blank("en")
    assert nlp.lang == "en" and nlp.pipe_names == []
    doc = nlp("Hello, world!")
    assert [t.text for t in doc] == ["Hello", ",", "world", "!"]
    assert nlp.config["nlp"]["tokenizer"] == {"@tokenizers": "treadle.Tokenizer.v1"}


# --- update: one backward over all losses, shared tok2vec, frozen and annotating
# components, gradient accumulation, dropout ---

T2V = make_tok2vec_config()
LISTENER = make_listener_config()
TAGGER_CFG = {"model": {"@architectures": "treadle.Tagger.v1", "nO": None, "tok2vec": LISTENER}}
TEXTCAT_CFG = {"model": {"@architectures": "treadle.TextCatCNN.v1", "exclusive_classes": True, "nO": None,
                         "tok2vec": LISTENER}}
DATA = [
    ("I like green eggs", ["PRP", "VBP", "JJ", "NNS"], "POS"),
    ("I hate blue ham", ["PRP", "VBP", "JJ", "NN"], "NEG"),
    ("They like ham", ["PRP", "VBP", "NN"], "POS"),
    ("They hate eggs", ["PRP", "VBP", "NNS"], "NEG"),
]
SEEN: list[list[str]] = []


@Language.component("test_update_record_tags")
def record_tags(doc):  # type: ignore[no-untyped-def]
    SEEN.append([t.tag_ for t in doc])
    return doc


def shared_nlp(with_textcat: bool = True) -> Language:
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("tok2vec", config={"model": T2V})
    nlp.add_pipe("tagger", config=TAGGER_CFG)
    if with_textcat:
        nlp.add_pipe("textcat", config=TEXTCAT_CFG)
    return nlp


def examples(nlp: Language) -> list[Example]:
    return [
        Example.from_dict(nlp.make_doc(t), {"tags": tags, "cats": {"POS": float(c == "POS"), "NEG": float(c == "NEG")}})
        for t, tags, c in DATA
    ]


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before: dict[str, torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_shared_tok2vec_one_backward_and_all_weights_move(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    nlp = shared_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    t2v = nlp.get_pipe("tok2vec")
    assert t2v.listening_components == ["tagger", "textcat"]
    opt = Adam(0.01)
    # the output layers start at zero, so the first step sends no gradient to tok2vec
    nlp.update(exs, sgd=opt)
    calls = []
    original = torch.Tensor.backward

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "backward", counting)
    before = {name: snapshot(nlp.get_pipe(name).model) for name in ("tok2vec", "tagger", "textcat")}
    losses = nlp.update(exs, sgd=opt)
    assert len(calls) == 1
    assert set(losses) == {"tok2vec", "tagger", "textcat"} and losses["tagger"] > 0 and losses["textcat"] > 0
    for name in ("tok2vec", "tagger", "textcat"):
        assert changed(before[name], nlp.get_pipe(name).model), name
    monkeypatch.setattr(torch.Tensor, "backward", original)
    for _ in range(40):
        nlp.update(exs, sgd=opt)
    doc = nlp("They like green eggs")
    assert [t.tag_ for t in doc] == ["PRP", "VBP", "JJ", "NNS"]
    assert doc.cats["POS"] > 0.5
    # keys of one optimizer: tok2vec weights under the tok2vec's name only
    keys = [k for name in ("tok2vec", "tagger", "textcat") for k, _ in nlp.get_pipe(name).parameters_for_optimizer()]
    assert len(keys) == len(set(keys))
    assert not any(k.startswith("tagger.") and "embed" in k for k in keys)


def test_frozen_tok2vec_unchanged_listener_still_trains() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    t2v_before = snapshot(nlp.get_pipe("tok2vec").model)
    tagger_before = snapshot(nlp.get_pipe("tagger").model)
    opt = Adam(0.01)
    for _ in range(60):
        losses = nlp.update(exs, sgd=opt, exclude=["tok2vec"])
    assert "tok2vec" not in losses and losses["tagger"] > 0
    assert not changed(t2v_before, nlp.get_pipe("tok2vec").model)
    assert changed(tagger_before, nlp.get_pipe("tagger").model)
    for text, tags, _ in DATA:
        assert [t.tag_ for t in nlp(text)] == tags


def test_annotating_component_visible_to_later_ones() -> None:
    nlp = shared_nlp(with_textcat=False)
    nlp.add_pipe("test_update_record_tags")
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(30):
        nlp.update(exs, sgd=opt)
    SEEN.clear()
    nlp.update(exs, sgd=opt)
    assert SEEN == []  # not annotating: a rule-based component doesn't run
    nlp.update(exs, sgd=opt, annotates=["tagger", "test_update_record_tags"])
    assert [tags for _, tags, _ in DATA] == SEEN
    assert [t.tag_ for t in exs[0].predicted] == DATA[0][1]


def test_gradients_accumulate_without_sgd() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    weight = nlp.get_pipe("tagger").model.output.weight
    nlp.update(exs[:2])
    g1 = weight.grad.clone()
    nlp.update(exs[:2])
    assert torch.allclose(weight.grad, 2 * g1, atol=1e-6)
    before = weight.detach().clone()
    nlp.finish_update(Adam(0.01))
    assert weight.grad is None and not torch.equal(before, nlp.get_pipe("tagger").model.output.weight)


def test_dropout_acts_in_update_not_in_predict() -> None:
    nlp = shared_nlp(with_textcat=False)
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    opt = Adam(0.01)
    for _ in range(5):
        nlp.update(exs, sgd=opt)
    tagger = nlp.get_pipe("tagger")

    def loss(drop: float) -> float:
        nlp.get_pipe("tok2vec").forward_loss(exs, drop=drop)
        return float(tagger.forward_loss(exs, drop=drop).detach())

    assert loss(0.0) == loss(0.0)
    assert loss(0.5) != loss(0.5)
    nlp.update(exs, drop=0.5)  # leaves dropout modules at p=0.5
    docs = [nlp.make_doc(t) for t, _, _ in DATA]
    nlp.get_pipe("tok2vec").set_annotations(docs, nlp.get_pipe("tok2vec").predict(docs))
    a = tagger.predict(docs).data
    b = tagger.predict(docs).data
    assert torch.equal(a, b)


def test_update_rejects_non_examples() -> None:
    import pytest

    from treadle.errors import DataError

    nlp = shared_nlp(with_textcat=False)
    with pytest.raises(DataError, match="Example"):
        nlp.update(["some text"])


# Rule-based components have nothing to learn: update runs them only when they annotate.
RULERS_SEEN: list[list[str]] = []


@Language.component("test_rulers_spy")
def rulers_spy(doc: Doc) -> Doc:
    RULERS_SEEN.append([t.lemma_ for t in doc] + [e.label_ for e in doc.ents])
    return doc


def test_rulers_in_nlp_update_as_annotating_components():
    """Rulers have nothing to learn: nlp.update runs them only when they annotate, and
    then later components see their output."""
    nlp = treadle.blank("en")
    nlp.add_pipe("attribute_ruler").add([[{"LOWER": "dogs"}]], {"LEMMA": "dog"})
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ANIMAL", "pattern": "dogs"}])
    nlp.add_pipe("test_rulers_spy", name="spy")
    RULERS_SEEN.clear()
    gold = Doc(nlp.vocab, words=["dogs", "bark"])
    examples = [Example(Doc(nlp.vocab, words=["dogs", "bark"]), gold)]
    nlp.update(examples, annotates=["attribute_ruler", "entity_ruler", "spy"])
    assert RULERS_SEEN == [["dog", "", "ANIMAL"]]
    examples = [Example(Doc(nlp.vocab, words=["dogs", "bark"]), gold)]
    nlp.update(examples)  # not annotating: the rulers do not run
    assert examples[0].predicted[0].lemma_ == ""


# ---------------------------------------------------------------------- names and sources


@pytest.mark.parametrize(
    "name", ["/tmp/x/_other", "../tagger", "..", ".hidden", "a/b", "a\\b", "c:d", "x\x00y", "vocab",
             "tokenizer", "meta.json", "training", "t\n"],
)  # fmt: skip
def test_component_names_that_are_not_plain_names_are_refused(name):
    nlp = treadle.blank("en")
    with pytest.raises(PipelineError, match="name"):
        nlp.add_pipe("sentencizer", name=name)
    nlp.add_pipe("sentencizer", name="ok")
    with pytest.raises(PipelineError, match="name"):
        nlp.rename_pipe("ok", name)


def test_a_saved_config_naming_a_path_as_component_is_refused(tmp_path):
    nlp = treadle.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "p")
    cfg_path = tmp_path / "p" / "config.cfg"
    text = cfg_path.read_text().replace("sentencizer", "/tmp/x/_other")
    cfg_path.write_text(text)
    with pytest.raises(PipelineError, match="not a plain name"):
        treadle.load(tmp_path / "p")


def test_a_pipeline_sourcing_itself_is_a_clear_error(tmp_path):
    nlp = treadle.blank("en")
    nlp.add_pipe("sentencizer")
    path = tmp_path / "p"
    nlp.to_disk(path)
    cfg = Config().from_disk(path / "config.cfg", interpolate=False)
    cfg["components"]["sentencizer"] = {"source": str(path)}
    cfg.to_disk(path / "config.cfg")
    with pytest.raises(ConfigError, match="sourcing loop") as err:
        treadle.load(path)
    assert str(path) in str(err.value)
    # through another pipeline: q sources p, p sources q
    other = tmp_path / "q"
    nlp.to_disk(other)
    cfg["components"]["sentencizer"] = {"source": str(other)}
    cfg.to_disk(path / "config.cfg")
    cfg_q = Config().from_disk(other / "config.cfg", interpolate=False)
    cfg_q["components"]["sentencizer"] = {"source": str(path)}
    cfg_q.to_disk(other / "config.cfg")
    with pytest.raises(ConfigError, match="sourcing loop"):
        treadle.load(path)


def test_an_nlp_function_block_without_its_at_line_is_a_config_error() -> None:
    """[nlp.tokenizer] that lost its @tokenizers line (a truncated config.cfg) is a
    config error naming the key, not a TypeError when the dict is called."""
    config = {"nlp": {"lang": "en", "pipeline": [], "tokenizer": {"foo": 1}}, "components": {}}
    with pytest.raises(ConfigError, match="nlp.tokenizer must name a registered function"):
        Language.from_config(config)
