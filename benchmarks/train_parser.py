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
from train_tagger import DATA, convert  # noqa: E402

# Issue 7: spaCy 3.8's efficiency pipeline on EWT dev after 40 minutes, this machine.
PARSER_REFERENCE = {"dep_uas": 83.45, "dep_las": 79.24, "sents_f": 75.60}


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict[str, float]:
    best = best_row(rows, lambda r: r["scores"].get("dep_las", 0.0))
    s = best["scores"]
    last = rows[-1]
    out = {
        "dep_uas": 100 * s.get("dep_uas", 0.0),
        "dep_las": 100 * s.get("dep_las", 0.0),
        "sents_f": 100 * s.get("sents_f", 0.0),
        "tag_acc": 100 * s.get("tag_acc", 0.0),
        "pos_acc": 100 * s.get("pos_acc", 0.0),
        "seconds_to_best": best["train_seconds"],
        "train_wps": train_wps(rows),
        "predict_wps": predict_wps,
        "peak_rss_mb": peak_mb,
        "steps": last["step"],
        "words": last["words"],
    }
    return out


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

    from treadle.training.templates import make_starter_config

    torch.set_num_threads(args.threads)
    pipeline = [p.strip() for p in args.pipeline.split(",") if p.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_path, _, n_train_words = convert(args.train, args.workdir / "train.docbin", args.n_sents)
    dev_path, dev_texts, n_dev_words = convert(args.dev, args.workdir / "dev.docbin", args.n_sents)
    print(f"EWT: {n_train_words:,} train words, {n_dev_words:,} dev words", file=sys.stderr)

    config, _ = make_starter_config("en", ",".join(pipeline), optimize="efficiency")
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    apply_settings(config, args.set)
    budget = args.minutes * 60
    nlp, rec, _ = train_with_budget(
        config, budget_s=budget, eval_frequency=args.eval_frequency, n_dev_words=n_dev_words
    )
    if not rec.rows:
        sys.exit("treadle: no evaluation within the budget; lower --eval-frequency")
    ours = figures(rec.rows, prediction_speed(nlp, dev_texts), peak_rss_mb())
    ours["pipeline"] = nlp.pipe_names

    theirs = None
    if not args.no_spacy:
        job = {
            "task": "tagger",  # the driver's CoNLL-U path; the pipeline says what is trained
            "pipeline": pipeline,
            "train": str(args.train),
            "dev": str(args.dev),
            "budget_s": budget,
            "eval_frequency": args.eval_frequency,
            "n_sents": args.n_sents,
        }
        res = run_spacy(args.spacy_python, job, threads=args.threads)
        if res and res["rows"]:
            theirs = figures(res["rows"], res["predict_wps"], res["peak_rss_mb"])
            theirs["pipeline"] = res["pipeline"]

    print(
        f"\n{'+'.join(pipeline)} on EWT dev ({args.n_sents} sentence(s) a Doc), budget "
        f"{args.minutes:g} min, {args.threads} thread(s)"
    )
    print(f"{'':24}{'treadle':>12}{'spaCy (same run)':>18}{'ratio':>9}{'issue ref':>11}")
    refs = {
        **PARSER_REFERENCE,
        "train_wps": REFERENCE["train_wps_full_pipeline"],
        "predict_wps": REFERENCE["predict_wps"],
        "peak_rss_mb": REFERENCE["peak_memory_gb"] * 1024,
    }
    for key, label in [
        ("dep_uas", "dev UAS (best LAS)"),
        ("dep_las", "dev LAS (best)"),
        ("sents_f", "dev sentence F"),
        ("tag_acc", "dev XPOS acc"),
        ("pos_acc", "dev UPOS acc"),
        ("seconds_to_best", "train s to best eval"),
        ("train_wps", "train words/s"),
        ("predict_wps", "predict words/s"),
        ("peak_rss_mb", "peak memory MB"),
        ("steps", "steps"),
        ("words", "words trained"),
    ]:
        t = theirs.get(key) if theirs else None
        r = ratio(ours[key], t) if key != "steps" else ""
        ref = refs.get(key)
        print(
            f"{label:24}{ours[key]:>12,.1f}{(f'{t:,.1f}' if t is not None else '-'):>18}"
            f"{r:>9}{(f'{ref:,.2f}' if ref else ''):>11}"
        )
    print(
        "issue ref: spaCy 3.8 efficiency EWT pipeline after 40 min (UAS/LAS/sentence F); "
        "prediction and training words/s for its full pipeline."
    )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
