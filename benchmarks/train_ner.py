"""Benchmark: named entity recognition on Universal NER English-EWT under a time budget.

Data (/work/shared/data/uner_en_ewt): ``en_ewt-ud-train.iob2`` / ``en_ewt-ud-dev.iob2``,
one sentence per Doc, entities PER / ORG / LOC.

treadle side: the files converted with treadle's IOB converter, the config of
``treadle init config --pipeline ner --optimize efficiency``, trained by treadle's loop
for ``--minutes``. Prints dev ents_p/r/f (best evaluation), training words/s
(evaluation time excluded), prediction words/s (``nlp.pipe`` over the dev texts,
tokenization included, three passes) and peak memory. With spaCy 3.8 in a separate
venv, the same run then trains spaCy's own efficiency ``ner`` on the same sentences (same
words and entities, the driver's ``"ner"`` job) with the same budget and evaluation
frequency and prints the ratios.

    .venv/bin/python benchmarks/train_ner.py --minutes 3
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    SPEED_ROWS,
    benchmark_args,
    peak_rss_mb,
    prediction_speed,
    print_comparison,
    spacy_result,
    summarize,
    train_efficiency_pipeline,
)

DATA = Path("/work/shared/data/uner_en_ewt")
# spaCy 3.8's efficiency ner alone on this data, stopped by patience after 8 minutes (issue 7).
REFERENCE_SPACY_NER_F = 57.6
# Passes over the dev texts when timing prediction, both libraries.
PREDICT_REPEATS = 3


def convert(
    src: Path, dest: Path
) -> tuple[list[tuple[list[str], list[bool], list[str]]], list[str], int]:
    """IOB2 -> .docbin with treadle's converter. Also each sentence as (words, spaces,
    IOB tags) for spaCy, the texts and the word count."""
    from treadle.tokens import DocBin
    from treadle.training.converters.iob import iob_to_docs

    db = DocBin()
    items = []
    texts = []
    n_words = 0
    for doc in iob_to_docs(src):
        db.add(doc)
        tags = [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_type_ else "O" for t in doc]
        items.append(([t.text for t in doc], [bool(t.whitespace_) for t in doc], tags))
        texts.append(doc.text)
        n_words += len(doc)
    db.to_disk(dest)
    return items, texts, n_words


def ner_scores(best: dict) -> dict[str, float]:
    """ents_p/r/f in percent, whether the scorer gave fractions or percentages."""
    s = best["scores"]
    scale = 100.0 if max(s.get("ents_f", 0.0) or 0.0, 0.0) <= 1.0 else 1.0
    return {key: scale * (s.get(key) or 0.0) for key in ("ents_p", "ents_r", "ents_f")}


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict[str, float]:
    return summarize(
        rows,
        lambda r: r["scores"].get("ents_f", 0.0) or 0.0,
        ner_scores,
        predict_wps,
        peak_mb,
        words=False,
    )


def main() -> None:
    parser = benchmark_args(
        __doc__.split("\n")[0],
        minutes=3.0,
        eval_frequency=200,
        workdir="/tmp/treadle-bench-ner",
        set_example="components.ner.model.hidden_width=128",
        train=DATA / "en_ewt-ud-train.iob2",
        dev=DATA / "en_ewt-ud-dev.iob2",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_items, _, n_train_words = convert(args.train, args.workdir / "train.docbin")
    dev_items, dev_texts, n_dev_words = convert(args.dev, args.workdir / "dev.docbin")
    print(
        f"UNER EWT: {len(train_items):,} train sentences ({n_train_words:,} words), "
        f"{len(dev_items):,} dev ({n_dev_words:,} words)",
        file=sys.stderr,
    )

    nlp, rows = train_efficiency_pipeline(
        "ner",
        args.workdir / "train.docbin",
        args.workdir / "dev.docbin",
        args,
        n_dev_words=n_dev_words,
    )
    ours = figures(rows, prediction_speed(nlp, dev_texts, repeats=PREDICT_REPEATS), peak_rss_mb())

    job = {
        "task": "ner",
        "pipeline": ["ner"],
        "train_items": train_items,
        "dev_items": dev_items,
        "predict_repeats": PREDICT_REPEATS,
    }
    res = spacy_result(args, job)
    theirs = figures(res["rows"], res["predict_wps"], res["peak_rss_mb"]) if res else None

    print_comparison(
        f"ner on UNER EWT dev, budget {args.minutes:g} min, {args.threads} thread(s)",
        [
            ("ents_f", "dev ents_f (best)"),
            ("ents_p", "dev ents_p"),
            ("ents_r", "dev ents_r"),
            *SPEED_ROWS,
        ],
        ours,
        theirs,
        {"ents_f": REFERENCE_SPACY_NER_F},
    )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
