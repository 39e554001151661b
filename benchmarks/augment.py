"""Benchmark: what the data augmenters buy a tagger on perturbed text.

Two taggers (tok2vec + tagger, XPOS) train on the same UD English-EWT slice for the
same number of steps, one plain and one with ``treadle.combined_augmenter.v1``
(lower 0.1, orth 0.2, whitespace 0.1 at 0.05 a token, the English orth table). Each is
scored on EWT dev four ways: as it is, lowercased, with punctuation variants
(``treadle.orth_variants.v1`` at level 1), and with whitespace tokens inserted
(``treadle.whitespace_variants.v1`` at level 1, a space or newline after 10% of the
tokens). The perturbed dev sets come from the augmenters themselves, so their gold
annotation is exact. Also printed: training words/s of each run.

    .venv/bin/python -m benchmarks.augment --train-sents 2000 --steps 400
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

DATA = Path("/work/shared/data/ud_en_ewt")

CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["tok2vec", "tagger"]

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "treadle.HashEmbedCNN.v1"
width = 96
depth = 4
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true

[components.tagger]
factory = "tagger"

[components.tagger.model]
@architectures = "treadle.Tagger.v1"

[components.tagger.model.tok2vec]
@architectures = "treadle.Tok2VecListener.v1"
width = 96
upstream = "tok2vec"

[corpora]

[corpora.train]
@readers = "treadle.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "treadle.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 400
eval_frequency = 100000
dropout = 0.1

[training.batcher]
@batchers = "treadle.batch_by_words.v1"
size = 1000

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.002
"""

AUGMENTER = {
    "@augmenters": "treadle.combined_augmenter.v1",
    "lower_level": 0.1,
    "orth_level": 0.2,
    "whitespace_level": 0.1,
    "whitespace_per_token": 0.05,
    "orth_variants": {"@misc": "treadle.en_orth_variants.v1"},
}


def _slice(src: Path, dest: Path, n: int) -> Path:
    """The first ``n`` sentences of a CoNLL-U file (all with n = 0)."""
    blocks = src.read_text(encoding="utf8").split("\n\n")
    blocks = [b for b in blocks if b.strip()]
    dest.write_text("\n\n".join(blocks[:n] if n else blocks) + "\n\n", encoding="utf8")
    return dest


def _docbin(conllu: Path, dest: Path) -> Path:
    from treadle.tokens import DocBin
    from treadle.training import conllu_to_docs

    db = DocBin()
    for doc in conllu_to_docs(conllu, n_sents=1):
        db.add(doc)
    db.to_disk(dest)
    return dest


def _dev_sets(nlp, dev_path: Path) -> dict[str, list]:
    from treadle.config import registry
    from treadle.training.augment import en_orth_variants
    from treadle.training.corpus import Corpus

    dev = list(Corpus(str(dev_path))(nlp))
    get = registry.augmenters.get
    perturb = {
        "lower": get("treadle.lower_case.v1")(level=1.0),
        "orth": get("treadle.orth_variants.v1")(
            level=1.0, lower=0.0, orth_variants=en_orth_variants()
        ),
        "whitespace": get("treadle.whitespace_variants.v1")(
            level=1.0, per_token=0.1, variants=[" ", "\n"]
        ),
    }
    out = {"plain": dev}
    for name, augmenter in perturb.items():
        augmenter.seed(1)
        out[name] = [o for eg in dev for o in augmenter(nlp, eg)]
    return out


def _train(train_path: Path, dev_path: Path, steps: int, augment: bool) -> tuple[object, float]:
    from treadle.config import Config
    from treadle.training.initialize import init_nlp
    from treadle.training.loop import train

    cfg = Config().from_str(CONFIG, interpolate=False)
    cfg["paths"]["train"], cfg["paths"]["dev"] = str(train_path), str(dev_path)
    cfg["training"]["max_steps"] = steps
    if augment:
        cfg["corpora"]["train"]["augmenter"] = dict(AUGMENTER)
    nlp = init_nlp(cfg)
    start = time.perf_counter()
    log = io.StringIO()
    nlp, _ = train(nlp, None, stdout=log, stderr=io.StringIO())
    return nlp, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-sents", type=int, default=2000)
    parser.add_argument("--dev-sents", type=int, default=0, help="0 = all of EWT dev")
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train_conllu = _slice(
            DATA / "en_ewt-ud-train.conllu", root / "train.conllu", args.train_sents
        )
        dev_conllu = _slice(DATA / "en_ewt-ud-dev.conllu", root / "dev.conllu", args.dev_sents)
        train_path = _docbin(train_conllu, root / "train.docbin")
        dev_path = _docbin(dev_conllu, root / "dev.docbin")
        rows = []
        for augment in (False, True):
            nlp, seconds = _train(train_path, dev_path, args.steps, augment)
            scores = {
                name: nlp.evaluate(examples)["tag_acc"]
                for name, examples in _dev_sets(nlp, dev_path).items()
            }
            rows.append(("combined" if augment else "none", scores, seconds))
    names = list(rows[0][1])
    print(f"{args.train_sents} EWT train sentences, {args.steps} steps of 1000 words, one thread")
    print(f"{'augmenter':<12}" + "".join(f"{n:>12}" for n in names) + f"{'train s':>10}")
    for label, scores, seconds in rows:
        print(
            f"{label:<12}"
            + "".join(f"{100 * scores[n]:>12.1f}" for n in names)
            + f"{seconds:>10.0f}"
        )


if __name__ == "__main__":
    main()
