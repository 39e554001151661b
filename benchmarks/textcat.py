"""Benchmark: exclusive text classification on SST-2 and TREC under a time budget.

Data (/work/shared/data/textcat): SST-2 ``sst2-train.txt`` / ``sst2-dev.txt`` and
TREC ``trec-train.txt`` (coarse label before ``:``, the last 500 lines held out as
dev), one ``LABEL TEXT`` example a line, texts already tokenized (the words are the
space-separated tokens).

treadle side: the config of ``treadle init config --pipeline textcat --optimize
efficiency``, trained by treadle's loop for ``--minutes`` per corpus. Prints dev
accuracy (best evaluation), training seconds to reach it, training words/s
(evaluation time excluded), prediction words/s (``nlp.pipe`` over the dev texts) and
peak memory. With spaCy 3.8 in a separate venv, the same run trains spaCy's own
efficiency textcat on the same data and budget and prints the ratios treadle/spaCy.

    .venv/bin/python benchmarks/textcat.py --minutes 1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    REFERENCE,
    SPEED_ROWS,
    benchmark_args,
    peak_rss_mb,
    prediction_speed,
    print_comparison,
    spacy_result,
    summarize,
    train_efficiency_pipeline,
)

DATA = Path("/work/shared/data/textcat")
SST2_NAMES = {"0": "NEGATIVE", "1": "POSITIVE"}


def read_lines(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from ``LABEL TEXT`` lines."""
    items = []
    for line in path.read_text(encoding="utf8").splitlines():
        if not line.strip():
            continue
        label, _, text = line.partition(" ")
        items.append((text.strip(), label))
    return items


def load_corpus(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if name == "sst2":
        train = [(t, SST2_NAMES[lab]) for t, lab in read_lines(DATA / "sst2-train.txt")]
        dev = [(t, SST2_NAMES[lab]) for t, lab in read_lines(DATA / "sst2-dev.txt")]
        return train, dev
    if name == "trec":
        items = [(t, lab.split(":")[0]) for t, lab in read_lines(DATA / "trec-train.txt")]
        return items[:-500], items[-500:]
    raise SystemExit(f"unknown corpus {name!r} (sst2, trec)")


def to_docbin(items: list[tuple[str, str]], labels: list[str], path: Path) -> int:
    """Docs whose words are the pre-tokenized words; returns the word count."""
    from treadle.tokens import Doc, DocBin, Vocab

    vocab = Vocab()
    db = DocBin()
    n_words = 0
    for text, label in items:
        words = text.split()
        doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
        doc.cats = {lab: float(lab == label) for lab in labels}
        db.add(doc)
        n_words += len(words)
    db.to_disk(path)
    return n_words


def dev_accuracy(nlp: Any, texts: list[str], gold: list[str]) -> dict[str, float]:
    """``{"acc": ...}``: how often the top class of ``nlp``'s ``doc.cats`` is the gold label."""
    docs = nlp.pipe(texts, batch_size=256)
    correct = sum(max(d.cats, key=d.cats.get) == g for d, g in zip(docs, gold, strict=True))
    return {"acc": correct / len(gold)}


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict:
    """Dev accuracy (percent) at the best evaluation by it, and speeds."""
    return summarize(
        rows,
        lambda r: r["acc"],
        lambda best: {"acc": 100 * best["acc"]},
        predict_wps,
        peak_mb,
        words=False,
    )


def run_corpus(name: str, args: argparse.Namespace) -> dict[str, dict | None]:
    train, dev = load_corpus(name)
    labels = sorted({lab for _, lab in train})
    work = args.workdir / name
    work.mkdir(parents=True, exist_ok=True)
    to_docbin(train, labels, work / "train.docbin")
    n_dev_words = to_docbin(dev, labels, work / "dev.docbin")
    dev_texts = [t for t, _ in dev]
    gold = [lab for _, lab in dev]
    print(f"{name}: {len(train):,} train, {len(dev):,} dev, labels {labels}", file=sys.stderr)

    def accuracy(nlp) -> dict[str, float]:
        return dev_accuracy(nlp, dev_texts, gold)

    nlp, rows = train_efficiency_pipeline(
        "textcat",
        work / "train.docbin",
        work / "dev.docbin",
        args,
        n_dev_words=n_dev_words,
        extra=accuracy,
    )
    ours = figures(rows, prediction_speed(nlp, dev_texts, repeats=3), peak_rss_mb())
    job = {
        "task": "textcat",
        "pipeline": ["textcat"],
        "labels": labels,
        "train_items": train,
        "dev_items": dev,
    }
    res = spacy_result(args, job)
    theirs = figures(res["rows"], res["predict_wps"], res["peak_rss_mb"]) if res else None
    return {"treadle": ours, "spacy": theirs}


def main() -> None:
    parser = benchmark_args(
        __doc__.split("\n")[0],
        minutes=1.0,
        eval_frequency=50,
        workdir="/tmp/treadle-bench-textcat",
        set_example="components.textcat.model.ngram_size=2",
    )
    parser.add_argument("--corpus", default="sst2,trec", help="comma-separated: sst2, trec")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    results = {name: run_corpus(name, args) for name in args.corpus.split(",")}

    refs = {
        "sst2": (REFERENCE["sst2_dev_acc"], REFERENCE["sst2_seconds"], REFERENCE["kim2014_sst2"]),
        "trec": (REFERENCE["trec_dev_acc"], REFERENCE["trec_seconds"], REFERENCE["kim2014_trec"]),
    }
    for name, res in results.items():
        ref_acc, ref_s, kim = refs[name]
        print_comparison(
            f"textcat on {name} dev, budget {args.minutes:g} min, {args.threads} thread(s)",
            [("acc", "dev accuracy (best)"), *SPEED_ROWS],
            res["treadle"],
            res["spacy"],
            {
                "acc": ref_acc,
                "seconds_to_best": ref_s,
                "predict_wps": REFERENCE["predict_wps"],
                "peak_rss_mb": REFERENCE["peak_memory_gb"] * 1024,
            },
        )
        print(
            f"Kim 2014 CNN-rand, published (other evaluation data, see kim_cnn.py): {kim}; "
            f"on this split: benchmarks/kim_cnn.py --corpus {name}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
