"""nlp.pipe(n_process=N): spawned workers rebuild the pipeline (registered by
tests/toy_pipeline.py, which they import) and send Docs back in input order."""

from __future__ import annotations

import itertools
import multiprocessing
import time

import pytest

from tests.toy_pipeline import make_nlp
from treadle.errors import DataError, PipelineError
from treadle.multiprocess import registering_modules, resolve_n_process


def _nlp():
    nlp = make_nlp()
    nlp.add_pipe("sentencizer", config={"punct_chars": ["|"]})
    nlp.add_pipe("test_suffixer", config={"suffix": "?"})
    nlp.add_pipe("test_counter", config={"label": "count", "times": 2})
    nlp.add_pipe("test_raise_on", config={"text": "please fail now"})
    return nlp


def _annotations(doc):
    return (
        doc.text,
        [t.is_sent_start for t in doc],
        doc.user_data.get("suffixed"),
        doc.user_data.get("count"),
        doc.user_data.get("length"),
    )


TEXTS = [f"text {i} | with {'more ' * (i % 4)}words" for i in range(23)]


def test_n_process_values() -> None:
    assert resolve_n_process(3) == 3
    assert resolve_n_process(-1) >= 1
    for bad in (0, -2, 1.5, True):
        with pytest.raises(PipelineError, match="n_process"):
            resolve_n_process(bad)


def test_worker_modules_include_the_test_registrations() -> None:
    assert "tests.toy_pipeline" in registering_modules(_nlp())


def test_same_docs_in_the_same_order_as_in_process() -> None:
    nlp = _nlp()
    expected = [_annotations(d) for d in nlp.pipe(TEXTS, batch_size=4)]
    got = list(nlp.pipe(TEXTS, batch_size=4, n_process=2))
    assert [_annotations(d) for d in got] == expected
    assert all(d.vocab is nlp.vocab for d in got)


def test_as_tuples_disable_and_doc_input() -> None:
    nlp = _nlp()
    data = [(text, {"id": i}) for i, text in enumerate(TEXTS[:9])]
    data[4] = (nlp.make_doc("a premade doc"), {"id": 4})
    out = list(nlp.pipe(data, as_tuples=True, batch_size=2, n_process=2, disable=["test_counter"]))
    assert [ctx["id"] for _, ctx in out] == list(range(9))
    assert out[4][0].text == "a premade doc"
    assert all("count" not in doc.user_data for doc, _ in out)
    assert all(doc.user_data["suffixed"] for doc, _ in out)
    with pytest.raises(DataError, match="pairs"):
        list(nlp.pipe(["no context"], as_tuples=True, n_process=2))


def test_empty_input_returns_at_once() -> None:
    start = time.perf_counter()
    assert list(_nlp().pipe([], n_process=2)) == []
    assert list(_nlp().pipe(iter(()), n_process=2, as_tuples=True)) == []
    assert time.perf_counter() - start < 2  # no worker was started


def test_failure_in_the_middle_carries_the_worker_traceback() -> None:
    nlp = _nlp()
    texts = [*TEXTS[:10], "please fail now", *TEXTS[10:]]
    docs = nlp.pipe(texts, batch_size=3, n_process=2)
    with pytest.raises(PipelineError) as excinfo:
        for _ in docs:
            pass
    message = str(excinfo.value)
    assert "batch 3" in message  # the 11th text is in the fourth batch of 3
    assert "ValueError: test_raise_on was told to fail on 'please fail now'" in message
    assert "Traceback" in message


def test_generator_is_read_lazily_and_closing_stops_the_workers() -> None:
    nlp = _nlp()
    seen: list[int] = []

    def texts():
        for i in itertools.count():
            seen.append(i)
            yield f"text number {i}"

    docs = nlp.pipe(texts(), batch_size=2, n_process=2)
    first = list(itertools.islice(docs, 3))
    assert [d.text for d in first] == ["text number 0", "text number 1", "text number 2"]
    # Batch 0 yielded whole, then at most 2 * n_process batches in flight, plus the
    # one read ahead: an endless input is never drawn in.
    assert len(seen) <= (1 + 2 * 2 + 1) * 2
    docs.close()  # must not hang: the workers are told to stop or terminated
    assert multiprocessing.active_children() == []


def test_ctrl_c_while_reading_stops_the_workers() -> None:
    nlp = _nlp()

    def consume():
        for i, _ in enumerate(nlp.pipe(TEXTS * 4, batch_size=2, n_process=2)):
            if i == 5:
                raise KeyboardInterrupt  # what Ctrl-C raises in the parent

    with pytest.raises(KeyboardInterrupt):
        consume()
    assert multiprocessing.active_children() == []


def test_components_from_a_code_file_reach_the_workers(tmp_path) -> None:
    # A --code file is imported under a made-up name no fresh interpreter can import:
    # the workers load it from its file.
    from treadle.config import import_code

    code = tmp_path / "my_components.py"
    code.write_text(
        "from treadle.language import Language\n\n"
        "@Language.component('test_from_code_file')\n"
        "def shout(doc):\n"
        "    doc.user_data['shout'] = doc.text.upper()\n"
        "    return doc\n",
        encoding="utf8",
    )
    import_code([code])
    nlp = make_nlp()
    nlp.add_pipe("test_from_code_file")
    docs = list(nlp.pipe(["a b", "c d e"], batch_size=1, n_process=2))
    assert [d.user_data["shout"] for d in docs] == ["A B", "C D E"]


def test_trained_weights_reach_the_workers() -> None:
    # A tok2vec + tagger + textcat after a few updates: workers that rebuilt the models
    # from the config alone (fresh random weights) would tag differently.
    from tests.test_language import examples, shared_nlp
    from treadle.ml.optimizers import Adam

    nlp = shared_nlp()
    exs = examples(nlp)
    nlp.initialize(lambda: exs)
    optimizer = Adam(0.01)
    for _ in range(5):
        nlp.update(exs, sgd=optimizer)
    texts = [eg.reference.text for eg in exs] * 3

    def annotations(docs):
        return [([t.tag_ for t in d], sorted(d.cats.items())) for d in docs]

    expected = annotations(nlp.pipe(texts, batch_size=2))
    assert len({tuple(tags) for tags, _ in expected}) > 1  # the tagger is not constant
    got = annotations(nlp.pipe(texts, batch_size=2, n_process=2))
    assert [tags for tags, _ in got] == [tags for tags, _ in expected]
    for (_, cats_got), (_, cats_expected) in zip(got, expected, strict=True):
        assert [k for k, _ in cats_got] == [k for k, _ in cats_expected]
        assert [v for _, v in cats_got] == pytest.approx([v for _, v in cats_expected], abs=1e-5)
