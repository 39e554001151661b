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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    REFERENCE,
    apply_settings,
    benchmark_args,
    best_row,
    peak_rss_mb,
    prediction_speed,
    ratio,
    train_with_budget,
    train_wps,
)
from _spacy import run_spacy  # noqa: E402

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


def run_corpus(name: str, args: argparse.Namespace) -> dict[str, dict | None]:
    from treadle.training.templates import make_starter_config

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
        docs = nlp.pipe(dev_texts, batch_size=256)
        correct = sum(max(d.cats, key=d.cats.get) == g for d, g in zip(docs, gold, strict=True))
        return {"acc": correct / len(gold)}

    config, _ = make_starter_config("en", "textcat", optimize="efficiency")
    config["paths"]["train"] = str(work / "train.docbin")
    config["paths"]["dev"] = str(work / "dev.docbin")
    apply_settings(config, args.set)
    nlp, rec, _ = train_with_budget(
        config,
        budget_s=args.minutes * 60,
        eval_frequency=args.eval_frequency,
        n_dev_words=n_dev_words,
        extra=accuracy,
    )
    if not rec.rows:
        sys.exit("treadle: no evaluation within the budget; lower --eval-frequency")
    best = best_row(rec.rows, lambda r: r["acc"])
    last = rec.rows[-1]
    ours = {
        "acc": 100 * best["acc"],
        "seconds_to_best": best["train_seconds"],
        "train_wps": train_wps(rec.rows),
        "predict_wps": prediction_speed(nlp, dev_texts, repeats=3),
        "peak_rss_mb": peak_rss_mb(),
        "steps": last["step"],
    }
    theirs = None
    if not args.no_spacy:
        job = {
            "task": "textcat",
            "pipeline": ["textcat"],
            "labels": labels,
            "train_items": train,
            "dev_items": dev,
            "budget_s": args.minutes * 60,
            "eval_frequency": args.eval_frequency,
        }
        res = run_spacy(args.spacy_python, job, threads=args.threads)
        if res and res["rows"]:
            sbest = best_row(res["rows"], lambda r: r["acc"])
            slast = res["rows"][-1]
            theirs = {
                "acc": 100 * sbest["acc"],
                "seconds_to_best": sbest["train_seconds"],
                "train_wps": train_wps(res["rows"]),
                "predict_wps": res["predict_wps"],
                "peak_rss_mb": res["peak_rss_mb"],
                "steps": slast["step"],
            }
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
        ours, theirs = res["treadle"], res["spacy"]
        ref_acc, ref_s, kim = refs[name]
        print(f"\ntextcat on {name} dev, budget {args.minutes:g} min, {args.threads} thread(s)")
        print(f"{'':24}{'treadle':>12}{'spaCy (same run)':>18}{'ratio':>9}{'issue ref':>11}")
        rows = [
            ("acc", "dev accuracy (best)", ref_acc),
            ("seconds_to_best", "train s to best eval", ref_s),
            ("train_wps", "train words/s", None),
            ("predict_wps", "predict words/s", REFERENCE["predict_wps"]),
            ("peak_rss_mb", "peak memory MB", REFERENCE["peak_memory_gb"] * 1024),
            ("steps", "steps", None),
        ]
        for key, label, ref in rows:
            t = theirs.get(key) if theirs else None
            r = ratio(ours[key], t) if key != "steps" else ""
            print(
                f"{label:24}{ours[key]:>12,.1f}{(f'{t:,.1f}' if t is not None else '-'):>18}"
                f"{r:>9}{(f'{ref:,.1f}' if ref else ''):>11}"
            )
        print(f"Kim 2014 CNN (no pretrained vectors, test set): {kim}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
