"""Benchmark: tok2vec + tagger + morphologizer + parser on UD English-EWT under a time budget.

treadle side: EWT train/dev converted with treadle's CoNLL-U converter (one sentence
per Doc), the config of ``treadle init config --pipeline tagger,morphologizer,parser
--optimize efficiency`` (one shared tok2vec), trained by treadle's loop for
``--minutes``. Prints dev UAS/LAS/sentence F of the evaluation with the best LAS, the
tagger's and morphologizer's accuracy there, training words/s (evaluation time
excluded), prediction words/s (``nlp.pipe`` over the dev texts, tokenization
included) and peak memory.

With spaCy 3.8 in its own venv (``--spacy-python``) the same run then trains spaCy's
own ``init config --pipeline tagger,morphologizer,parser --optimize efficiency``
pipeline on the same data with the same budget, and prints the ratios treadle/spaCy.

    .venv/bin/python benchmarks/train_parser.py --minutes 5
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    PIPELINE_SPEED_REFS,
    SPEED_ROWS,
    WORDS_ROW,
    benchmark_args,
    peak_rss_mb,
    prediction_speed,
    print_comparison,
    spacy_result,
    summarize,
    train_efficiency_pipeline,
)
from train_tagger import DATA, convert_ewt  # noqa: E402

# Issue 7: spaCy 3.8's efficiency pipeline on EWT dev after 40 minutes, this machine.
PARSER_REFERENCE = {"dep_uas": 83.45, "dep_las": 79.24, "sents_f": 75.60}

METRICS = [
    ("dep_uas", "dev UAS (best LAS)"),
    ("dep_las", "dev LAS (best)"),
    ("sents_f", "dev sentence F"),
    ("tag_acc", "dev XPOS acc"),
    ("pos_acc", "dev UPOS acc"),
]


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict[str, float]:
    """Scores (percent) at the evaluation with the best LAS, and speeds."""
    return summarize(
        rows,
        lambda r: r["scores"].get("dep_las", 0.0),
        lambda best: {key: 100 * best["scores"].get(key, 0.0) for key, _ in METRICS},
        predict_wps,
        peak_mb,
    )


def main() -> None:
    parser = benchmark_args(
        __doc__.split("\n")[0],
        minutes=5.0,
        eval_frequency=200,
        workdir="/tmp/treadle-bench-parser",
        set_example="components.parser.model.hidden_width=128",
        train=DATA / "en_ewt-ud-train.conllu",
        dev=DATA / "en_ewt-ud-dev.conllu",
    )
    parser.add_argument("--pipeline", default="tagger,morphologizer,parser")
    parser.add_argument(
        "--n-sents",
        type=int,
        default=1,
        help="sentences per Doc, train and dev, both libraries; with 1 every dev Doc is "
        "one sentence and the sentence F only counts wrong splits",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    pipeline = [p.strip() for p in args.pipeline.split(",") if p.strip()]
    train_path, dev_path, dev_texts, n_dev_words = convert_ewt(args, args.n_sents)
    nlp, rows = train_efficiency_pipeline(
        ",".join(pipeline), train_path, dev_path, args, n_dev_words=n_dev_words
    )
    ours = figures(rows, prediction_speed(nlp, dev_texts), peak_rss_mb())
    ours["pipeline"] = nlp.pipe_names

    job = {
        "task": "tagger",  # the driver's CoNLL-U path; the pipeline says what is trained
        "pipeline": pipeline,
        "train": str(args.train),
        "dev": str(args.dev),
        "n_sents": args.n_sents,
    }
    res = spacy_result(args, job)
    theirs = None
    if res:
        theirs = figures(res["rows"], res["predict_wps"], res["peak_rss_mb"])
        theirs["pipeline"] = res["pipeline"]

    print_comparison(
        f"{'+'.join(pipeline)} on EWT dev ({args.n_sents} sentence(s) a Doc), budget "
        f"{args.minutes:g} min, {args.threads} thread(s)",
        [*METRICS, *SPEED_ROWS, WORDS_ROW],
        ours,
        theirs,
        {**PARSER_REFERENCE, **PIPELINE_SPEED_REFS},
        ref_digits=2,
    )
    print(
        "issue ref: spaCy 3.8 efficiency EWT pipeline after 40 min (UAS/LAS/sentence F); "
        "prediction and training words/s for its full pipeline."
    )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
