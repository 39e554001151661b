"""Benchmark: ``biaffine_parser`` against the transition ``parser`` on UD English-EWT, same
tok2vec, same training-time budget.

Both runs start from the config of ``treadle init config --pipeline parser --optimize
efficiency`` (its tok2vec inside the parser's model); the biaffine run replaces the
component by ``biaffine_parser`` with ``treadle.BiaffineParser.v1`` over the very same
tok2vec block. Each trains with treadle's loop for ``--minutes`` of training time
(evaluations excluded). Prints, for each, dev UAS/LAS/sentence F at the evaluation with
the best LAS, training words/s, prediction words/s (``nlp.pipe`` over the dev texts,
tokenization included) and the steps made.

    .venv/bin/python benchmarks/train_biaffine.py --minutes 5
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import apply_settings, prediction_speed, summarize, train_with_budget  # noqa: E402
from train_tagger import DATA, convert_ewt  # noqa: E402

METRICS = [
    ("dep_uas", "dev UAS"),
    ("dep_las", "dev LAS"),
    ("sents_p", "dev sentence P"),
    ("sents_r", "dev sentence R"),
    ("sents_f", "dev sentence F"),
]
ROWS = [
    *METRICS,
    ("seconds_to_best", "train s to best eval"),
    ("train_wps", "train words/s"),
    ("predict_wps", "predict words/s"),
    ("steps", "steps"),
]


def parser_config(kind: str, arc_width: int, label_width: int) -> Any:
    """The efficiency parser config; for ``biaffine`` its component swapped, same tok2vec."""
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", "parser", optimize="efficiency")
    if kind == "parser":
        return config
    old = config["components"].pop("parser")
    config["components"]["biaffine_parser"] = {
        "factory": "biaffine_parser",
        "max_sentence_length": 256,
        "model": {
            "@architectures": "treadle.BiaffineParser.v1",
            "arc_width": arc_width,
            "label_width": label_width,
            "nO": None,
            "tok2vec": copy.deepcopy(old["model"]["tok2vec"]),
        },
    }
    config["nlp"]["pipeline"] = ["biaffine_parser"]
    return config


def run(kind: str, args: argparse.Namespace, paths: tuple[Path, Path, list[str], int]) -> dict:
    train_path, dev_path, dev_texts, n_dev_words = paths
    config = parser_config(kind, args.arc_width, args.label_width)
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    apply_settings(config, args.set)
    print(f"training {kind} for {args.minutes:g} min", file=sys.stderr)
    nlp, rec, _ = train_with_budget(
        config,
        budget_s=args.minutes * 60,
        eval_frequency=args.eval_frequency,
        n_dev_words=n_dev_words,
    )
    if not rec.rows:
        sys.exit(f"{kind}: no evaluation within the budget; lower --eval-frequency")
    return summarize(
        rec.rows,
        lambda r: r["scores"].get("dep_las", 0.0),
        lambda best: {key: 100 * best["scores"].get(key, 0.0) for key, _ in METRICS},
        prediction_speed(nlp, dev_texts),
        0.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget per parser")
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--train", type=Path, default=DATA / "en_ewt-ud-train.conllu")
    parser.add_argument("--dev", type=Path, default=DATA / "en_ewt-ud-dev.conllu")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treadle-bench-biaffine"))
    parser.add_argument("--n-sents", type=int, default=1, help="sentences per Doc, train and dev")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--arc-width", type=int, default=256)
    parser.add_argument("--label-width", type=int, default=64)
    parser.add_argument("--only", choices=["parser", "biaffine"], help="run one of the two")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change both configs, e.g. training.dropout=0.2")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    paths = convert_ewt(args, args.n_sents)
    kinds = [args.only] if args.only else ["parser", "biaffine"]
    results = {kind: run(kind, args, paths) for kind in kinds}

    print(
        f"\nEWT dev ({args.n_sents} sentence(s) a Doc), budget {args.minutes:g} min, "
        f"{args.threads} thread(s); best-LAS evaluation"
    )
    print(f"{'':24}" + "".join(f"{k:>12}" for k in kinds))
    for key, label in ROWS:
        cells = "".join(f"{results[k].get(key, float('nan')):>12.2f}" for k in kinds)
        print(f"{label:24}{cells}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
