"""The transformer component: doc._.trf_data, listeners in tagger/parser/ner/textcat,
training through one backward pass (grad_factor, frozen), the missing extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

import treadle
from treadle.ml import fix_random_seed
from treadle.tokens.example import Example

SENTS = [
    ("the cat sat on the mat", ["D", "N", "V", "P", "D", "N"]),
    ("a dog ran to the house", ["D", "N", "V", "P", "D", "N"]),
    ("the big red dog sat", ["D", "A", "A", "N", "V"]),
    ("she was happy", ["PR", "V", "A"]),
    ("he ran and she sat", ["PR", "V", "C", "PR", "V"]),
]


def trf_config(path, window: int = 8, stride: int = 6) -> dict:
    return {
        "model": {
            "@architectures": "treadle.TransformerModel.v1",
            "name": str(path),
            "get_spans": {"@span_getters": "treadle.strided_spans.v1", "window": window, "stride": stride},
        }
    }


def listener(grad_factor: float = 1.0, upstream: str = "*") -> dict:
    return {"@architectures": "treadle.TransformerListener.v1", "grad_factor": grad_factor, "upstream": upstream}


def tagger_nlp(path, grad_factor: float = 1.0):
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("transformer", config=trf_config(path))
    nlp.add_pipe("tagger", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None,
                                             "tok2vec": listener(grad_factor)}})
    examples = [
        Example.from_dict(nlp.make_doc(text), {"tags": tags}) for text, tags in SENTS * 4
    ]  # 20 examples
    return nlp, examples


def trf_weights(nlp) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in nlp.get_pipe("transformer").model.state_dict().items()}


def changed(before: dict[str, torch.Tensor], nlp) -> bool:
    after = nlp.get_pipe("transformer").model.state_dict()
    return any(not torch.equal(before[k], after[k]) for k in before)


def test_trf_data_and_listener_rows(tiny_bert_dir):
    nlp, examples = tagger_nlp(tiny_bert_dir)
    nlp.initialize(lambda: examples)
    trf = nlp.get_pipe("transformer")
    assert trf.listening_components == ["tagger"]
    assert nlp.get_pipe("tagger").model.tok2vec.width == 32
    doc = nlp("the cat  sat unbelievable")
    data = doc._.trf_data
    assert data.hidden.shape == (6, 32) and data.hidden.dtype == "float32"
    assert data.wordpieces == ["the", "cat", "sat", "un", "##believ", "##able"]
    assert data.alignment.n_tokens == len(doc)
    rows = nlp.get_pipe("tagger").model.tok2vec([doc])
    assert rows[0].shape == (len(doc), 32)
    assert len([t.tag_ for t in doc]) == len(doc)
    long_doc = nlp(" ".join(["the cat sat on the mat"] * 30))  # > 64 positions
    assert long_doc._.trf_data.hidden.shape[0] == 180
    assert nlp("")._.trf_data.hidden.shape == (0, 32)


def test_listener_width_reaches_parser_ner_textcat(tiny_bert_dir):
    nlp = treadle.blank("en")
    nlp.add_pipe("transformer", config=trf_config(tiny_bert_dir))
    parser = {"@architectures": "treadle.TransitionBasedParser.v1", "state_type": "parser",
              "hidden_width": 16, "maxout_pieces": 2, "tok2vec": listener()}
    nlp.add_pipe("parser", config={"model": parser})
    nlp.add_pipe("ner", config={"model": {**parser, "state_type": "ner"}})
    assert nlp.get_pipe("parser").model.nI == 32
    assert nlp.get_pipe("transformer").listening_components == ["parser", "ner"]


def test_tagger_trains_the_transformer_in_one_backward(tiny_bert_dir):
    nlp, examples = tagger_nlp(tiny_bert_dir)
    sgd = nlp.initialize(lambda: examples)
    before = trf_weights(nlp)
    curve = [nlp.update(examples, sgd=sgd)["tagger"] for _ in range(15)]
    assert curve[-1] < curve[0] * 0.9, curve
    assert changed(before, nlp)


def test_grad_factor_zero_leaves_transformer_unchanged(tiny_bert_dir):
    nlp, examples = tagger_nlp(tiny_bert_dir, grad_factor=0.0)
    sgd = nlp.initialize(lambda: examples)
    before = trf_weights(nlp)
    curve = [nlp.update(examples, sgd=sgd)["tagger"] for _ in range(8)]
    assert curve[-1] < curve[0]
    assert not changed(before, nlp)


def test_grad_factor_scales_the_gradient(tiny_bert_dir):
    grads = {}
    for factor in (1.0, 2.0):
        nlp, examples = tagger_nlp(tiny_bert_dir, grad_factor=factor)
        nlp.initialize(lambda examples=examples: examples)
        nlp.get_pipe("tagger").model.output.weight.data.normal_(generator=torch.Generator().manual_seed(1))
        nlp.update(examples[:5])  # no sgd: the gradients stay
        param = nlp.get_pipe("transformer").model.transformer.embeddings.word_embeddings.weight
        grads[factor] = param.grad.clone()
    torch.testing.assert_close(grads[2.0], 2 * grads[1.0])


def test_frozen_transformer_listeners_still_train(tiny_bert_dir):
    nlp, examples = tagger_nlp(tiny_bert_dir)
    sgd = nlp.initialize(lambda: examples)
    before = trf_weights(nlp)
    curve = [nlp.update(examples, sgd=sgd, exclude=["transformer"])["tagger"] for _ in range(10)]
    assert curve[-1] < curve[0] * 0.95
    assert not changed(before, nlp)
    assert examples[0].predicted._.trf_data is not None


def test_extra_annotation_setter(tiny_bert_dir):
    seen = []
    nlp = treadle.blank("en")
    trf = nlp.add_pipe("transformer", config=trf_config(tiny_bert_dir))
    trf.set_extra_annotations = lambda docs, outputs: seen.append((len(docs), len(outputs)))
    nlp.initialize()
    list(nlp.pipe(["the cat", "a dog", "hello"], batch_size=2))
    assert seen == [(2, 2), (1, 1)]
    cfg = nlp.config["components"]["transformer"]
    assert cfg["max_batch_items"] == 4096 and cfg["set_extra_annotations"] is None


def test_factory_without_transformers_names_the_extra(tiny_bert_dir):
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["transformers"] = None
        sys.modules["tokenizers"] = None
        import treadle
        from treadle.errors import MissingDependencyError
        nlp = treadle.blank("en")
        try:
            nlp.add_pipe("transformer", config={trf_config(tiny_bert_dir)!r})
        except MissingDependencyError as err:
            assert 'pip install "treadle[transformers]"' in str(err), err
            print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize("factory", ["textcat"])
def test_textcat_with_listener(tiny_bert_dir, factory):
    nlp = treadle.blank("en")
    nlp.add_pipe("transformer", config=trf_config(tiny_bert_dir))
    model = {"@architectures": "treadle.TextCatCNN.v1", "exclusive_classes": True, "tok2vec": listener()}
    textcat = nlp.add_pipe(factory, config={"model": model})
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": {"A": float(i % 2), "B": float(1 - i % 2)}})
                for i, (t, _) in enumerate(SENTS)]
    sgd = nlp.initialize(lambda: examples)
    nlp.update(examples, sgd=sgd)
    assert set(nlp("the cat").cats) == set(textcat.labels)
