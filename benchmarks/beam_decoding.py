"""Benchmark: greedy against beam-search decoding of a trained parser or ner.

Loads a trained pipeline, then evaluates it on a dev corpus once per beam width (the
``beam_width`` / ``beam_density`` settings of every parser and ner in it), printing
the dev scores and prediction words/s of each width beside greedy (width 1). The
weights are the same for every row: only the decoding differs.

A pipeline to measure, e.g. ner on UNER EWT:

    .venv/bin/treadle convert /work/shared/data/uner_en_ewt/en_ewt-ud-train.iob2 /tmp/ner
    .venv/bin/treadle convert /work/shared/data/uner_en_ewt/en_ewt-ud-dev.iob2 /tmp/ner
    .venv/bin/treadle init config /tmp/ner/ner.cfg --pipeline ner --optimize efficiency
    .venv/bin/treadle train /tmp/ner/ner.cfg --output /tmp/ner/out \\
        --paths.train /tmp/ner/en_ewt-ud-train.docbin --paths.dev /tmp/ner/en_ewt-ud-dev.docbin \\
        --training.max_steps 4000
    .venv/bin/python benchmarks/beam_decoding.py /tmp/ner/out/model-best \\
        /tmp/ner/en_ewt-ud-dev.docbin --widths 1,2,4,8
"""

from __future__ import annotations

import argparse
from pathlib import Path

KEYS = ("ents_p", "ents_r", "ents_f", "dep_uas", "dep_las", "sents_f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=Path, help="a trained pipeline folder")
    parser.add_argument("dev", type=Path, help="a .docbin dev corpus with gold annotation")
    parser.add_argument("--widths", default="1,2,4,8", help="comma-separated beam widths")
    parser.add_argument("--density", type=float, default=0.0, help="beam_density for widths > 1")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="best speed of this many passes")
    args = parser.parse_args()

    import torch

    import treadle
    from treadle.tokens import DocBin
    from treadle.training import Example

    torch.set_num_threads(args.threads)
    nlp = treadle.load(args.model)
    pipes = [p for name, p in nlp.pipeline if getattr(p, "moves", None) is not None]
    if not pipes:
        raise SystemExit(f"{args.model}: no parser or ner in pipeline {nlp.pipe_names}")
    gold = list(DocBin().from_disk(args.dev).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in gold]
    print(f"{args.model} ({', '.join(p.name for p in pipes)}), {len(examples):,} dev Docs")

    results = []
    for width in (int(w) for w in args.widths.split(",")):
        for pipe in pipes:
            pipe.cfg["beam_width"] = width
            pipe.cfg["beam_density"] = args.density if width > 1 else 0.0
        runs = [nlp.evaluate(examples) for _ in range(args.repeats)]
        scores = runs[0]
        scores["speed"] = max(r["speed"] for r in runs)
        results.append((width, scores))

    keys = [k for k in KEYS if k in results[0][1]]
    print(
        f"{'beam width':>10}" + "".join(f"{k:>10}" for k in keys) + f"{'words/s':>10}{'speed':>8}"
    )
    greedy_speed = results[0][1]["speed"]
    for width, scores in results:
        cells = "".join(f"{100 * scores[k]:>10.2f}" for k in keys)
        print(f"{width:>10}{cells}{scores['speed']:>10,.0f}{scores['speed'] / greedy_speed:>7.2f}x")


if __name__ == "__main__":
    main()
