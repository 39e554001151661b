"""Run spaCy 3.8 on the same data and budget, in its own virtual environment.

spaCy is never a treadle dependency and is never imported into the benchmark's
process: ``run_spacy(python, job)`` writes the job (JSON) and a driver script to a
temporary folder and runs the driver with spaCy's interpreter. The driver builds its
config with spaCy's own ``init config`` (``--optimize`` as the job's ``optimize`` says,
efficiency by default), converts the data
with spaCy's own tools, trains with spaCy's own loop under the same training-time budget
and evaluation frequency, and writes the same figures treadle's side reports.

A job is JSON: ``task``, ``pipeline`` (component names), ``budget_s``,
``eval_frequency``, optional ``predict_repeats`` (passes over the dev texts when timing
prediction, default 1), optional ``optimize`` (``efficiency`` or ``accuracy``), optional
``vectors`` (``{"matrix": .npy, "words": .txt}``: the static vectors of an accuracy config;
without them the accuracy config's static vectors are turned off) and the data, by task:

- ``"tagger"``: ``train`` / ``dev`` CoNLL-U paths and ``n_sents`` (sentences a Doc),
  converted by ``spacy convert`` (also used for any CoNLL-U pipeline, e.g. a parser);
- ``"textcat"``: ``labels`` and ``train_items`` / ``dev_items`` as (text, label) pairs;
- ``"ner"``: ``train_items`` / ``dev_items`` as (words, spaces, IOB tags) triples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_SPACY_PYTHON = "/work/spacy-venv/bin/python"

# The driver runs under spaCy's interpreter: it uses only spaCy's public API.
_DRIVER = r"""
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
    # VmHWM, not ru_maxrss: the latter survives exec, so it would report the parent's peak.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


rows = []
state = {"start": None, "eval_seconds": 0.0}


def make_docbins_textcat(nlp, items, path, labels):
    db = DocBin()
    for text, label in items:
        doc = nlp.make_doc(text)
        doc.cats = {lab: float(lab == label) for lab in labels}
        db.add(doc)
    db.to_disk(path)


def make_docbins_ner(vocab, items, path):
    db = DocBin()
    for words, spaces, tags in items:
        db.add(Doc(vocab, words=words, spaces=spaces, ents=tags))
    db.to_disk(path)


def convert_conllu(src, out_dir, n_sents=1):
    import subprocess
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "spacy", "convert", src, str(out_dir), "--converter", "conllu",
         "--n-sents", str(n_sents)],
        check=True, stdout=subprocess.DEVNULL,
    )
    return out_dir / (Path(src).stem + ".spacy")


pipeline = job["pipeline"]
optimize = job.get("optimize", "efficiency")
config = init_config(lang="en", pipeline=pipeline, optimize=optimize, gpu=False)
blank = spacy.blank("en")


def set_static_vectors(node, value):
    # spaCy's accuracy template turns static vectors on in every embedding layer.
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "include_static_vectors":
                node[key] = value
            else:
                set_static_vectors(child, value)


if optimize == "accuracy":
    vectors = job.get("vectors")
    if vectors:
        import numpy
        from spacy.vectors import Vectors

        table = spacy.blank("en")
        words = Path(vectors["words"]).read_text(encoding="utf8").split("\n")
        data = numpy.load(vectors["matrix"]).astype("float32")
        keys = [table.vocab.strings.add(w) for w in words[: len(data)]]
        table.vocab.vectors = Vectors(data=data, keys=keys, name="en_bench_vectors")
        table.to_disk(work / "spacy-vectors")
        config["paths"]["vectors"] = str(work / "spacy-vectors")
        config["initialize"]["vectors"] = "${paths.vectors}"
    else:
        # The template names en_core_web_lg's vectors, which are not installed here.
        config["paths"]["vectors"] = None
    set_static_vectors(config["components"], bool(vectors))
if job["task"] == "tagger":
    train_path = convert_conllu(job["train"], work / "spacy-data", job.get("n_sents", 1))
    dev_path = convert_conllu(job["dev"], work / "spacy-data", job.get("n_sents", 1))
elif job["task"] == "ner":
    train_path, dev_path = work / "train.spacy", work / "dev.spacy"
    make_docbins_ner(blank.vocab, job["train_items"], train_path)
    make_docbins_ner(blank.vocab, job["dev_items"], dev_path)
else:
    labels = job["labels"]
    train_path, dev_path = work / "train.spacy", work / "dev.spacy"
    make_docbins_textcat(blank, job["train_items"], train_path, labels)
    make_docbins_textcat(blank, job["dev_items"], dev_path, labels)

dev_docs = list(DocBin().from_disk(dev_path).get_docs(blank.vocab))
dev_texts = [d.text for d in dev_docs]
if job["task"] == "ner":
    # The given words, as treadle's side counts them.
    n_dev_words = sum(len(d) for d in dev_docs)
else:
    n_dev_words = sum(len(blank.make_doc(t)) for t in dev_texts)
gold_cats = [max(d.cats, key=d.cats.get) if d.cats else None for d in dev_docs]


def accuracy(nlp):
    if job["task"] != "textcat":
        return {}
    correct = 0
    for doc, gold in zip(nlp.pipe(dev_texts), gold_cats):
        correct += max(doc.cats, key=doc.cats.get) == gold
    return {"acc": correct / len(dev_texts)}


@registry.loggers("bench.spacy_recorder.v1")
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
            t0 = time.perf_counter()
            row.update(accuracy(nlp))
            state["eval_seconds"] += time.perf_counter() - t0
            row["train_seconds"] = info["seconds"] - state["eval_seconds"]
            rows.append(row)
            shown = ", ".join(f"{k}={v:.4f}" for k, v in row.items() if isinstance(v, float))
            print(f"  [spacy] step {row['step']} words {row['words']} {shown}", file=sys.stderr)
        return log_step, lambda: None
    return setup


@registry.callbacks("bench.spacy_budget.v1")
def budget():
    def callback(nlp, info):
        if state["start"] is None:
            state["start"] = time.perf_counter()
        elif time.perf_counter() - state["start"] - state["eval_seconds"] > job["budget_s"]:
            raise BudgetReached()
    return callback


config["paths"]["train"] = str(train_path)
config["paths"]["dev"] = str(dev_path)
config["training"]["logger"] = {"@loggers": "bench.spacy_recorder.v1"}
config["training"]["before_update"] = {"@callbacks": "bench.spacy_budget.v1"}
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

t0 = time.perf_counter()
n = 0
for _ in range(job.get("predict_repeats", 1)):
    for doc in nlp.pipe(dev_texts, batch_size=256):
        n += len(doc)
predict_wps = n / (time.perf_counter() - t0)
result = {
    "spacy_version": spacy.__version__,
    "pipeline": nlp.pipe_names,
    "rows": rows,
    "wall_seconds": wall,
    "predict_wps": predict_wps,
    "peak_rss_mb": peak_mb(),
}
(work / "result.json").write_text(json.dumps(result))
"""


def spacy_available(python: str) -> bool:
    if not Path(python).exists():
        return False
    probe = subprocess.run(
        [
            python,
            "-c",
            "import spacy, sys; sys.exit(0 if spacy.__version__.startswith('3.8') else 1)",
        ],
        capture_output=True,
    )
    return probe.returncode == 0


def run_spacy(python: str, job: dict[str, Any], *, threads: int = 1) -> dict[str, Any] | None:
    """Run the driver for ``job``; its figures as a dict, or None (with the reason on
    stderr) when spaCy 3.8 is not there or the run failed."""
    if not spacy_available(python):
        print(
            f"spaCy 3.8 not found at {python}; skipping the spaCy comparison "
            f"(python3 -m venv /work/spacy-venv && /work/spacy-venv/bin/pip install "
            f"'spacy>=3.8,<3.9').",
            file=sys.stderr,
        )
        return None
    with tempfile.TemporaryDirectory(prefix="treadle-bench-spacy-") as tmp:
        work = Path(tmp)
        (work / "job.json").write_text(json.dumps(job), encoding="utf8")
        (work / "driver.py").write_text(_DRIVER, encoding="utf8")
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        proc = subprocess.run(
            [python, str(work / "driver.py"), str(work / "job.json"), str(work)], env=env
        )
        result_path = work / "result.json"
        if proc.returncode != 0 or not result_path.exists():
            print(f"spaCy run failed (exit {proc.returncode}).", file=sys.stderr)
            return None
        return json.loads(result_path.read_text(encoding="utf8"))
