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

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    PIPELINE_SPEED_REFS,
    REFERENCE,
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


def convert_ewt(args: argparse.Namespace, n_sents: int = 1) -> tuple[Path, Path, list[str], int]:
    """``--train`` / ``--dev`` converted into ``--workdir``: the two .docbin paths, the
    dev texts and the dev word count."""
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_path, _, n_train_words = convert(args.train, args.workdir / "train.docbin", n_sents)
    dev_path, dev_texts, n_dev_words = convert(args.dev, args.workdir / "dev.docbin", n_sents)
    print(f"EWT: {n_train_words:,} train words, {n_dev_words:,} dev words", file=sys.stderr)
    return train_path, dev_path, dev_texts, n_dev_words


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict:
    """XPOS accuracy (percent) at the best evaluation by it, and speeds."""
    return summarize(
        rows,
        lambda r: r["scores"].get("tag_acc", 0.0),
        lambda best: {"tag_acc": 100 * best["scores"]["tag_acc"]},
        predict_wps,
        peak_mb,
    )


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

    torch.set_num_threads(args.threads)
    train_path, dev_path, dev_texts, n_dev_words = convert_ewt(args)
    nlp, rows = train_efficiency_pipeline(
        "tagger", train_path, dev_path, args, n_dev_words=n_dev_words
    )
    ours = figures(rows, prediction_speed(nlp, dev_texts), peak_rss_mb())

    job = {"task": "tagger", "pipeline": ["tagger"], "train": str(args.train), "dev": str(args.dev)}
    res = spacy_result(args, job)
    theirs = None
    if res:
        theirs = figures(res["rows"], res["predict_wps"], res["peak_rss_mb"])
        theirs["pipeline"] = res["pipeline"]

    print_comparison(
        f"Tagger (XPOS) on EWT dev, budget {args.minutes:g} min, {args.threads} thread(s)",
        [("tag_acc", "dev XPOS acc (best)"), *SPEED_ROWS, WORDS_ROW],
        ours,
        theirs,
        {"tag_acc": REFERENCE["tagger_xpos_ewt_dev"], **PIPELINE_SPEED_REFS},
    )
    print(
        "issue ref: spaCy 3.8 full EWT pipeline (tok2vec+tagger+morphologizer+lemmatizer+"
        "parser), 40 min; its train words/s is for that whole pipeline."
    )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
