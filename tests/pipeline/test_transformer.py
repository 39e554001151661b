"""The transformer component: doc._.trf_data, listeners in tagger/parser/ner/textcat,
training through one backward pass (grad_factor, frozen), mixed precision, the missing
extra, saving and loading, and sourced + frozen + annotating in a training config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

import treadle
from treadle.errors import SerializationError
from treadle.ml import fix_random_seed
from treadle.tokens.example import Example

SENTS = [
    ("the cat sat on the mat", ["D", "N", "V", "P", "D", "N"]),
    ("a dog ran to the house", ["D", "N", "V", "P", "D", "N"]),
    ("the big red dog sat", ["D", "A", "A", "N", "V"]),
    ("she was happy", ["PR", "V", "A"]),
    ("he ran and she sat", ["PR", "V", "C", "PR", "V"]),
]


def trf_config(path, window: int = 8, stride: int = 6, **model_settings) -> dict:
    return {
        "model": {
            "@architectures": "treadle.TransformerModel.v1",
            "name": str(path),
            "get_spans": {"@span_getters": "treadle.strided_spans.v1", "window": window, "stride": stride},
            **model_settings,
        }
    }


def listener(grad_factor: float = 1.0, upstream: str = "*") -> dict:
    return {"@architectures": "treadle.TransformerListener.v1", "grad_factor": grad_factor, "upstream": upstream}


def tagger_nlp(path, grad_factor: float = 1.0, **model_settings):
    fix_random_seed(0)
    nlp = treadle.blank("en")
    nlp.add_pipe("transformer", config=trf_config(path, **model_settings))
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


def test_mixed_precision_offers_a_scaler_only_on_cuda(tiny_bert_dir):
    nlp, examples = tagger_nlp(
        tiny_bert_dir, mixed_precision=True, grad_scaler_config={"init_scale": 128.0}
    )
    nlp.initialize(lambda: examples)
    trf = nlp.get_pipe("transformer")
    assert trf.model.grad_scaler.scale == 128.0
    assert trf.grad_scaler is None  # on the CPU autocast is off: nothing to scale
    off, _ = tagger_nlp(tiny_bert_dir, grad_scaler_config={"init_scale": 128.0})
    assert off.get_pipe("transformer").model.active_grad_scaler() is None


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_mixed_precision_trains_on_cuda(tiny_bert_dir):
    from treadle.ml import require_cpu, require_gpu

    require_gpu()
    try:
        nlp, examples = tagger_nlp(tiny_bert_dir, mixed_precision=True)
        sgd = nlp.initialize(lambda: examples)
        trf = nlp.get_pipe("transformer")
        assert trf.grad_scaler is trf.model.grad_scaler
        curve = [nlp.update(examples, sgd=sgd)["tagger"] for _ in range(15)]
        assert all(torch.isfinite(torch.tensor(curve))), curve
        assert curve[-1] < curve[0] * 0.9, curve
        assert trf.model.grad_scaler.growth_tracker > 0 or trf.model.grad_scaler.scale < 2.0**16
    finally:
        require_cpu()


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


# ---------------------------------------------------------------------- saving


TEXTS = ["the cat sat on the mat", "she was happy and he ran", "hello world !"]


def outputs_of(nlp) -> tuple[list[torch.Tensor], list[list[str]]]:
    """The tagger's listener rows and its tags for TEXTS."""
    docs = list(nlp.pipe(TEXTS))
    rows = [r.detach() for r in nlp.get_pipe("tagger").model.tok2vec(docs)]
    return rows, [[t.tag_ for t in doc] for doc in docs]


def trained_tagger(path):
    nlp, examples = tagger_nlp(path)
    sgd = nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples, sgd=sgd)
    return nlp


def test_load_rebuilds_from_saved_files_after_name_folder_is_gone(tiny_bert_dir, tmp_path, monkeypatch):
    source = tmp_path / "A"
    shutil.copytree(tiny_bert_dir, source)
    nlp = trained_tagger(source)
    rows, tags = outputs_of(nlp)
    nlp.to_disk(tmp_path / "B")
    shutil.rmtree(source)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = treadle.load(tmp_path / "B")
    rows2, tags2 = outputs_of(loaded)
    assert tags2 == tags
    for a, b in zip(rows, rows2, strict=True):
        torch.testing.assert_close(a, b)
    assert loaded.get_pipe("tagger").model.tok2vec.width == 32
    saved = tmp_path / "B" / "transformer"
    assert {"config.json", "tokenizer.json", "tokenizer_config.json"} <= {f.name for f in (saved / "hf").iterdir()}
    assert (saved / "model.safetensors").is_file()
    # Nothing pickled: no torch/pickle files anywhere in the saved pipeline.
    files = [f for f in (tmp_path / "B").rglob("*") if f.is_file()]
    assert not [f for f in files if f.suffix in {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"}]


def test_load_reads_only_local_files_and_no_weights_file(tiny_bert_dir, tmp_path, transformers_mod, monkeypatch):
    nlp = trained_tagger(tiny_bert_dir)
    rows, _ = outputs_of(nlp)
    nlp.to_disk(tmp_path / "B")
    calls = []

    def spy(cls_name, real):
        def from_pretrained(name, *args, **kwargs):
            calls.append((cls_name, str(name), kwargs))
            return real(name, *args, **kwargs)
        return from_pretrained

    def no_weights(*args, **kwargs):
        raise AssertionError("treadle.load must not load weights through AutoModel.from_pretrained")

    monkeypatch.setattr(transformers_mod.AutoModel, "from_pretrained", no_weights)
    for cls_name in ("AutoTokenizer", "AutoConfig"):
        auto = getattr(transformers_mod, cls_name)
        monkeypatch.setattr(auto, "from_pretrained", spy(cls_name, auto.from_pretrained))
    loaded = treadle.load(tmp_path / "B")
    assert sorted(c[0] for c in calls) == ["AutoConfig", "AutoTokenizer"]
    for _, name, kwargs in calls:
        assert name == str(tmp_path / "B" / "transformer" / "hf")
        assert kwargs["local_files_only"] is True and kwargs["trust_remote_code"] is False
    torch.testing.assert_close(outputs_of(loaded)[0], rows)


def test_damaged_hf_files_fail_before_anything_reads_them(tiny_bert_dir, tmp_path, transformers_mod, monkeypatch):
    """The transformer builds from its saved hf/ folder while the pipeline is built, so
    the files' hashes are checked before: a damaged hf/config.json is the hash error
    naming it, and Hugging Face never sees the file."""
    trained_tagger(tiny_bert_dir).to_disk(tmp_path / "B")
    hf_config = tmp_path / "B" / "transformer" / "hf" / "config.json"
    hf_config.write_text(hf_config.read_text().replace('"hidden_size"', '"hidden_sizf"'))

    def never(*args, **kwargs):
        raise AssertionError("a damaged pipeline's hf files must not be read")

    monkeypatch.setattr(transformers_mod.AutoConfig, "from_pretrained", never)
    with pytest.raises(SerializationError, match=r"component 'transformer': transformer/hf/config\.json is damaged"):
        treadle.load(tmp_path / "B")


def test_bytes_round_trip(tiny_bert_dir):
    nlp = trained_tagger(tiny_bert_dir)
    rows, tags = outputs_of(nlp)
    data = nlp.to_bytes()
    fresh, _ = tagger_nlp(tiny_bert_dir)  # same config, untrained
    fresh.from_bytes(data)
    rows2, tags2 = outputs_of(fresh)
    assert tags2 == tags
    torch.testing.assert_close(rows2, rows)


def test_from_disk_into_a_pipeline_built_from_another_model(tiny_bert_dir, tmp_path, transformers_mod):
    """nlp.from_disk (not treadle.load) on a pipeline whose transformer has another
    architecture: the saved config and tokenizer files win."""
    nlp = trained_tagger(tiny_bert_dir)
    rows, tags = outputs_of(nlp)
    nlp.to_disk(tmp_path / "B")
    other = tmp_path / "one_layer"
    shutil.copytree(tiny_bert_dir, other)
    config = transformers_mod.BertConfig.from_pretrained(other)
    config.num_hidden_layers = 1
    transformers_mod.BertModel(config).save_pretrained(other)
    target, _ = tagger_nlp(other)
    assert target.get_pipe("transformer").model.transformer.config.num_hidden_layers == 1
    target.from_disk(tmp_path / "B")
    assert target.get_pipe("transformer").model.transformer.config.num_hidden_layers == 2
    rows2, tags2 = outputs_of(target)
    assert tags2 == tags
    torch.testing.assert_close(rows2, rows)


def test_component_to_disk_drops_stale_hf_files(tiny_bert_dir, tmp_path):
    nlp = trained_tagger(tiny_bert_dir)
    trf = nlp.get_pipe("transformer")
    (tmp_path / "t" / "hf").mkdir(parents=True)
    (tmp_path / "t" / "hf" / "stale.json").write_text("{}")
    trf.to_disk(tmp_path / "t")
    assert not (tmp_path / "t" / "hf" / "stale.json").exists()
    assert (tmp_path / "t" / "hf" / "config.json").exists()


# ---------------------------------------------------------------------- in a training config


def test_sourced_transformer_frozen_and_annotating_in_training(tiny_bert_dir, tmp_path):
    """A transformer sourced from a saved pipeline, frozen and annotating: the new
    tagger's listener reads doc._.trf_data, learns, and the weights stay the source's."""
    from treadle.config import Config
    from treadle.tokens import DocBin
    from treadle.training import init_nlp, train

    source_dir = tmp_path / "source"
    trained_tagger(tiny_bert_dir).to_disk(source_dir)
    source_weights = trf_weights(treadle.load(source_dir))
    corpus = tmp_path / "train.docbin"
    db = DocBin()
    maker = treadle.blank("en")
    for text, tags in SENTS * 4:
        doc = maker.make_doc(text)
        for token, tag in zip(doc, tags, strict=True):
            token.tag_ = tag
        db.add(doc)
    db.to_disk(corpus)
    log = tmp_path / "log.jsonl"
    config = Config({
        "paths": {"train": str(corpus), "dev": str(corpus)},
        "nlp": {"lang": "en", "pipeline": ["transformer", "tagger"]},
        "components": {
            "transformer": {"source": str(source_dir)},
            "tagger": {"factory": "tagger", "model": {"@architectures": "treadle.Tagger.v1",
                                                      "nO": None, "tok2vec": listener()}},
        },
        "corpora": {
            "train": {"@readers": "treadle.Corpus.v1", "path": "${paths.train}"},
            "dev": {"@readers": "treadle.Corpus.v1", "path": "${paths.dev}"},
        },
        "training": {
            "frozen_components": ["transformer"], "annotating_components": ["transformer"],
            "max_steps": 24, "eval_frequency": 8, "seed": 0,
            "batcher": {"@batchers": "batch_by_sequence.v1", "size": 5, "get_length": None},
            "optimizer": {"@optimizers": "Adam.v1", "learn_rate": 0.01},
            "logger": {"@loggers": "treadle.JSONLLogger.v1", "path": str(log)},
        },
    })  # fmt: skip
    nlp = init_nlp(config)
    train(nlp)
    accs = [json.loads(line)["scores"]["tag_acc"] for line in log.read_text().splitlines()]
    assert accs[-1] > 0.8 and accs[-1] > accs[0], accs
    after = nlp.get_pipe("transformer").model.state_dict()
    assert all(torch.equal(source_weights[k], after[k]) for k in source_weights)
