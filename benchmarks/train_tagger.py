"""Benchmark: train a tagger (XPOS) on UD English-EWT under a time budget.

treadle side: EWT train/dev converted with treadle's CoNLL-U converter (one sentence
per Doc), the config of ``treadle init config --pipeline tagger --optimize
efficiency``, trained by treadle's loop for ``--minutes``. Prints dev XPOS accuracy
(best evaluation), training words/s (evaluation time excluded), prediction words/s
(``nlp.pipe`` over the dev texts, tokenization included) and peak memory.

With spaCy 3.8 in a separate venv (``--spacy-python``), the same run then trains
spaCy's own ``init config --pipeline tagger --optimize efficiency`` pipeline on the
same data with the same budget and prints the ratios treadle/spaCy.

    .venv/bin/python benchmarks/train_tagger.py --minutes 2
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

DATA = Path("/work/shared/data/ud_en_ewt")


def convert(src: Path, dest: Path, n_sents: int = 1) -> tuple[Path, list[str], int]:
    """CoNLL-U -> .docbin of ``n_sents`` sentences a Doc with treadle's converter; also
    the texts and word count."""
    from treadle.tokens import DocBin
    from treadle.training import conllu_to_docs

    db = DocBin()
    texts: list[str] = []
    n_words = 0
    for doc in conllu_to_docs(src, n_sents=n_sents):
        db.add(doc)
        texts.append(doc.text)
        n_words += len(doc)
    db.to_disk(dest)
    return dest, texts, n_words


def main() -> None:
    parser = benchmark_args(
        __doc__.split("\n")[0],
        minutes=2.0,
        eval_frequency=200,
        workdir="/tmp/treadle-bench-tagger",
        set_example="components.textcat.model.ngram_size=2",
        train=DATA / "en_ewt-ud-train.conllu",
        dev=DATA / "en_ewt-ud-dev.conllu",
    )
    args = parser.parse_args()

    import torch

    from treadle.training.templates import make_starter_config

    torch.set_num_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_path, _, n_train_words = convert(args.train, args.workdir / "train.docbin")
    dev_path, dev_texts, n_dev_words = convert(args.dev, args.workdir / "dev.docbin")
    print(f"EWT: {n_train_words:,} train words, {n_dev_words:,} dev words", file=sys.stderr)

    config, _ = make_starter_config("en", "tagger", optimize="efficiency")
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    apply_settings(config, args.set)
    budget = args.minutes * 60
    nlp, rec, wall = train_with_budget(
        config, budget_s=budget, eval_frequency=args.eval_frequency, n_dev_words=n_dev_words
    )
    if not rec.rows:
        sys.exit("treadle: no evaluation within the budget; lower --eval-frequency")
    best = best_row(rec.rows, lambda r: r["scores"].get("tag_acc", 0.0))
    last = rec.rows[-1]
    ours = {
        "tag_acc": 100 * best["scores"]["tag_acc"],
        "seconds_to_best": best["train_seconds"],
        "train_wps": train_wps(rec.rows),
        "predict_wps": prediction_speed(nlp, dev_texts),
        "peak_rss_mb": peak_rss_mb(),
        "steps": last["step"],
        "words": last["words"],
    }

    theirs = None
    if not args.no_spacy:
        job = {
            "task": "tagger",
            "pipeline": ["tagger"],
            "train": str(args.train),
            "dev": str(args.dev),
            "budget_s": budget,
            "eval_frequency": args.eval_frequency,
        }
        res = run_spacy(args.spacy_python, job, threads=args.threads)
        if res and res["rows"]:
            sbest = best_row(res["rows"], lambda r: r["scores"].get("tag_acc", 0.0))
            slast = res["rows"][-1]
            theirs = {
                "tag_acc": 100 * sbest["scores"]["tag_acc"],
                "seconds_to_best": sbest["train_seconds"],
                "train_wps": train_wps(res["rows"]),
                "predict_wps": res["predict_wps"],
                "peak_rss_mb": res["peak_rss_mb"],
                "steps": slast["step"],
                "words": slast["words"],
                "pipeline": res["pipeline"],
            }

    print(f"\nTagger (XPOS) on EWT dev, budget {args.minutes:g} min, {args.threads} thread(s)")
    header = f"{'':24}{'treadle':>12}{'spaCy (same run)':>18}{'ratio':>9}{'issue ref':>11}"
    print(header)
    refs = {
        "tag_acc": REFERENCE["tagger_xpos_ewt_dev"],
        "train_wps": REFERENCE["train_wps_full_pipeline"],
        "predict_wps": REFERENCE["predict_wps"],
        "peak_rss_mb": REFERENCE["peak_memory_gb"] * 1024,
    }
    for key, label in [
        ("tag_acc", "dev XPOS acc (best)"),
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
            f"{r:>9}{(f'{ref:,.1f}' if ref else ''):>11}"
        )
    print(
        "issue ref: spaCy 3.8 full EWT pipeline (tok2vec+tagger+morphologizer+lemmatizer+"
        "parser), 40 min; its train words/s is for that whole pipeline."
    )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
