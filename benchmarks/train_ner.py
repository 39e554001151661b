"""Benchmark: named entity recognition on Universal NER English-EWT under a time budget.

Data (/work/shared/data/uner_en_ewt): ``en_ewt-ud-train.iob2`` / ``en_ewt-ud-dev.iob2``,
one sentence per Doc, entities PER / ORG / LOC.

treadle side: the files converted with treadle's IOB converter, the config of
``treadle init config --pipeline ner --optimize efficiency``, trained by treadle's loop
for ``--minutes``. Prints dev ents_p/r/f (best evaluation), training words/s
(evaluation time excluded), prediction words/s (``nlp.pipe`` over the dev texts,
tokenization included) and peak memory. With spaCy 3.8 in a separate venv, the same run
then trains spaCy's own efficiency ``ner`` on the same sentences (same words and
entities) with the same budget and evaluation frequency and prints the ratios.

    .venv/bin/python benchmarks/train_ner.py --minutes 3
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    apply_settings,
    benchmark_args,
    best_row,
    peak_rss_mb,
    prediction_speed,
    ratio,
    train_with_budget,
    train_wps,
)
from _spacy import spacy_available  # noqa: E402

DATA = Path("/work/shared/data/uner_en_ewt")
# spaCy 3.8's efficiency ner alone on this data, stopped by patience after 8 minutes (issue 7).
REFERENCE_SPACY_NER_F = 57.6

# Runs under spaCy's interpreter, with spaCy's public API only: Docs from the job's
# words/spaces/IOB tags, spaCy's own efficiency config, its own training loop.
_NER_DRIVER = r"""
import json, resource, sys, time
from pathlib import Path

import spacy
from spacy.cli.init_config import init_config
from spacy.tokens import Doc, DocBin
from spacy.training.initialize import init_nlp
from spacy.training.loop import train
from spacy.util import registry

job = json.loads(Path(sys.argv[1]).read_text())
work = Path(sys.argv[2])


class BudgetReached(Exception):
    pass


def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


blank = spacy.blank("en")


def write(items, path):
    db = DocBin()
    for words, spaces, tags in items:
        db.add(Doc(blank.vocab, words=words, spaces=spaces, ents=tags))
    db.to_disk(path)


train_path, dev_path = work / "train.spacy", work / "dev.spacy"
write(job["train_items"], train_path)
write(job["dev_items"], dev_path)
dev_texts = job["dev_texts"]
n_dev_words = job["n_dev_words"]
rows = []
state = {"start": None, "eval_seconds": 0.0}


@registry.loggers("bench.spacy_ner_recorder.v1")
def recorder():
    def setup(nlp, stdout=sys.stdout, stderr=sys.stderr):
        def log_step(info):
            if info is None:
                return
            scores = info.get("other_scores", {}) or {}
            speed = scores.get("speed") or 0
            state["eval_seconds"] += n_dev_words / speed if speed else 0.0
            row = {"step": info["step"], "epoch": info["epoch"], "words": info["words"],
                   "score": info["score"],
                   "scores": {k: v for k, v in scores.items() if isinstance(v, (int, float))}}
            row["train_seconds"] = info["seconds"] - state["eval_seconds"]
            rows.append(row)
            print(f"  [spacy] step {row['step']} words {row['words']} "
                  f"ents_f={scores.get('ents_f', 0):.4f}", file=sys.stderr)
        return log_step, lambda: None
    return setup


@registry.callbacks("bench.spacy_ner_budget.v1")
def budget():
    def callback(nlp, info):
        if state["start"] is None:
            state["start"] = time.perf_counter()
        elif time.perf_counter() - state["start"] - state["eval_seconds"] > job["budget_s"]:
            raise BudgetReached()
    return callback


config = init_config(lang="en", pipeline=["ner"], optimize="efficiency", gpu=False)
config["paths"]["train"] = str(train_path)
config["paths"]["dev"] = str(dev_path)
config["training"]["logger"] = {"@loggers": "bench.spacy_ner_recorder.v1"}
config["training"]["before_update"] = {"@callbacks": "bench.spacy_ner_budget.v1"}
config["training"]["eval_frequency"] = job["eval_frequency"]
config["training"]["max_steps"] = 0
config["training"]["patience"] = 0
config["training"]["max_epochs"] = 0
nlp = init_nlp(config)
t0 = time.perf_counter()
try:
    train(nlp, None, stdout=sys.stderr, stderr=sys.stderr)
except BudgetReached:
    pass
wall = time.perf_counter() - t0
n = 0
t0 = time.perf_counter()
for _ in range(3):
    for doc in nlp.pipe(dev_texts, batch_size=256):
        n += len(doc)
predict_wps = n / (time.perf_counter() - t0)
(work / "result.json").write_text(json.dumps({
    "spacy_version": spacy.__version__, "rows": rows, "wall_seconds": wall,
    "predict_wps": predict_wps, "peak_rss_mb": peak_mb(),
}))
"""


def convert(src: Path, dest: Path) -> tuple[list[tuple[list[str], list[bool], list[str]]], list[str], int]:
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


def run_spacy_ner(python: str, job: dict[str, Any], threads: int) -> dict[str, Any] | None:
    if not spacy_available(python):
        print(f"spaCy 3.8 not found at {python}; skipping the spaCy comparison", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="treadle-bench-spacy-ner-") as tmp:
        work = Path(tmp)
        (work / "job.json").write_text(json.dumps(job), encoding="utf8")
        (work / "driver.py").write_text(_NER_DRIVER, encoding="utf8")
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        proc = subprocess.run([python, str(work / "driver.py"), str(work / "job.json"), str(work)], env=env)
        result = work / "result.json"
        if proc.returncode != 0 or not result.exists():
            print(f"spaCy run failed (exit {proc.returncode}).", file=sys.stderr)
            return None
        return json.loads(result.read_text(encoding="utf8"))


def summarize(rows: list[dict[str, Any]], predict_wps: float, peak_mb: float) -> dict[str, float]:
    best = best_row(rows, lambda r: r["scores"].get("ents_f", 0.0) or 0.0)
    s = best["scores"]
    scale = 100.0 if max(s.get("ents_f", 0.0) or 0.0, 0.0) <= 1.0 else 1.0
    return {
        "ents_p": scale * (s.get("ents_p") or 0.0),
        "ents_r": scale * (s.get("ents_r") or 0.0),
        "ents_f": scale * (s.get("ents_f") or 0.0),
        "seconds_to_best": best["train_seconds"],
        "train_wps": train_wps(rows),
        "predict_wps": predict_wps,
        "peak_rss_mb": peak_mb,
        "steps": rows[-1]["step"],
    }


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

    from treadle.training.templates import make_starter_config

    torch.set_num_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    train_items, _, n_train_words = convert(args.train, args.workdir / "train.docbin")
    dev_items, dev_texts, n_dev_words = convert(args.dev, args.workdir / "dev.docbin")
    print(f"UNER EWT: {len(train_items):,} train sentences ({n_train_words:,} words), "
          f"{len(dev_items):,} dev ({n_dev_words:,} words)", file=sys.stderr)

    config, _ = make_starter_config("en", "ner", optimize="efficiency")
    config["paths"]["train"] = str(args.workdir / "train.docbin")
    config["paths"]["dev"] = str(args.workdir / "dev.docbin")
    apply_settings(config, args.set)
    nlp, rec, _ = train_with_budget(
        config, budget_s=args.minutes * 60, eval_frequency=args.eval_frequency, n_dev_words=n_dev_words
    )
    if not rec.rows:
        sys.exit("treadle: no evaluation within the budget; lower --eval-frequency")
    ours = summarize(rec.rows, prediction_speed(nlp, dev_texts, repeats=3), peak_rss_mb())

    theirs = None
    if not args.no_spacy:
        job = {
            "train_items": train_items,
            "dev_items": dev_items,
            "dev_texts": dev_texts,
            "n_dev_words": n_dev_words,
            "budget_s": args.minutes * 60,
            "eval_frequency": args.eval_frequency,
        }
        res = run_spacy_ner(args.spacy_python, job, args.threads)
        if res and res["rows"]:
            theirs = summarize(res["rows"], res["predict_wps"], res["peak_rss_mb"])

    print(f"\nner on UNER EWT dev, budget {args.minutes:g} min, {args.threads} thread(s)")
    print(f"{'':24}{'treadle':>12}{'spaCy (same run)':>18}{'ratio':>9}{'issue ref':>11}")
    rows = [
        ("ents_f", "dev ents_f (best)", REFERENCE_SPACY_NER_F),
        ("ents_p", "dev ents_p", None),
        ("ents_r", "dev ents_r", None),
        ("seconds_to_best", "train s to best eval", None),
        ("train_wps", "train words/s", None),
        ("predict_wps", "predict words/s", None),
        ("peak_rss_mb", "peak memory MB", None),
        ("steps", "steps", None),
    ]
    for key, label, ref in rows:
        t = theirs.get(key) if theirs else None
        r = ratio(ours[key], t) if key != "steps" else ""
        print(
            f"{label:24}{ours[key]:>12,.1f}{(f'{t:,.1f}' if t is not None else '-'):>18}"
            f"{r:>9}{(f'{ref:,.1f}' if ref else ''):>11}"
        )
    if args.json:
        args.json.write_text(json.dumps({"treadle": ours, "spacy": theirs}, indent=2))


if __name__ == "__main__":
    main()
