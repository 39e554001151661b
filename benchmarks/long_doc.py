"""Benchmark: memory and time of one long Doc through the efficiency tagger, parser and ner.

Two small pipelines from ``treadle init config --optimize efficiency`` are trained for a
few steps (``--steps`` batches of 16 Docs of 3 sentences) into ``--workdir``:
tagger + parser on UD English-EWT train, ner on UNER (EWT) train. Then, for each
measurement, a fresh process loads one of them, makes one Doc of ``--chars`` characters
(EWT dev sentences joined), runs the tok2vec (or nothing, for the ner, whose tok2vec is
its own) and then the component, and reports the growth of its peak resident memory
(``VmHWM``) during the component, and its seconds. The parser and ner run twice: with
the full precomputed table (``full_table_rows`` raised over the Doc's length, the
table of the previous releases) and with the default block table (computed on demand
in blocks of 4,096 tokens, at most 4 held).

    .venv/bin/python benchmarks/long_doc.py                      # 1,000,000 characters
    .venv/bin/python benchmarks/long_doc.py --chars 10000000     # needs ~3 GB and minutes

(From a git worktree, put it first with ``PYTHONPATH=.``: a script's own folder, not the
current one, starts ``sys.path``, so an editable install elsewhere would be measured.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import peak_rss_mb  # noqa: E402

EWT = Path("/work/shared/data/ud_en_ewt")
UNER = Path("/work/shared/data/uner_en_ewt")
PIPELINES = {"tagger,parser": EWT / "en_ewt-ud-train.conllu", "ner": UNER / "en_ewt-ud-train.iob2"}
# (pipeline, upstream stage run first, measured component, table mode)
RUNS = [
    ("tagger,parser", "tok2vec", "tagger", "default"),
    ("tagger,parser", "tok2vec", "parser", "full"),
    ("tagger,parser", "tok2vec", "parser", "blocks"),
    ("ner", None, "ner", "full"),
    ("ner", None, "ner", "blocks"),
]


def train_pipeline(pipeline: str, source: Path, out: Path, steps: int) -> None:
    """A few updates of the efficiency config on the first Docs of ``source``, saved."""
    from treadle.language import Language
    from treadle.training import Example, conllu_to_docs, iob_to_docs
    from treadle.training.templates import make_starter_config

    config, _ = make_starter_config("en", pipeline, optimize="efficiency")
    nlp = Language.from_config(config)
    read = conllu_to_docs if source.suffix == ".conllu" else iob_to_docs
    docs = []
    for doc in read(source, nlp.vocab, n_sents=3):
        docs.append(doc)
        if len(docs) >= steps * 16:
            break
    examples = [Example(nlp.make_doc(d.text), d) for d in docs]
    opt = nlp.initialize(lambda: examples)
    for i in range(0, len(examples), 16):
        nlp.update(examples[i : i + 16], sgd=opt)
    nlp.to_disk(out)


def long_text(n_chars: int) -> str:
    """EWT dev sentences joined by spaces, repeated up to ``n_chars`` characters."""
    texts = []
    for line in (EWT / "en_ewt-ud-dev.conllu").read_text(encoding="utf8").splitlines():
        if line.startswith("# text = "):
            texts.append(line[len("# text = ") :])
    parts, size, i = [], 0, 0
    while size < n_chars:
        parts.append(texts[i % len(texts)])
        size += len(parts[-1]) + 1
        i += 1
    return " ".join(parts)[:n_chars]


def probe(model_dir: str, upstream: str | None, name: str, mode: str, n_chars: int) -> None:
    """Child process: print as JSON the component's peak memory growth and seconds."""
    import torch

    import treadle

    torch.set_num_threads(1)
    nlp = treadle.load(model_dir)
    nlp.max_length = n_chars + 1
    proc = nlp.get_pipe(name)
    if mode == "full":
        proc.model.full_table_rows = 10**12
    nlp("Warm up the components once.")
    doc = nlp.make_doc(long_text(n_chars))
    if upstream is not None:
        doc = nlp.get_pipe(upstream)(doc)
    before = peak_rss_mb()
    t0 = time.perf_counter()
    doc = proc(doc)
    seconds = time.perf_counter() - t0
    print(json.dumps({"tokens": len(doc), "peak_growth_mb": peak_rss_mb() - before,
                      "seconds": seconds}))  # fmt: skip


def measure(model_dir: Path, upstream: str | None, name: str, mode: str, n_chars: int) -> dict:
    cmd = [sys.executable, __file__, "--probe", str(model_dir), upstream or "-", name, mode,
           "--chars", str(n_chars)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=20, help="training batches per pipeline")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treadle-bench-long-doc"))
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--probe", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        model_dir, upstream, name, mode = args.probe
        probe(model_dir, None if upstream == "-" else upstream, name, mode, args.chars)
        return
    dirs = {}
    for pipeline, source in PIPELINES.items():
        dirs[pipeline] = args.workdir / pipeline.replace(",", "-")
        if args.retrain or not dirs[pipeline].exists():
            print(f"training {pipeline} ({args.steps} batches)...", file=sys.stderr)
            train_pipeline(pipeline, source, dirs[pipeline], args.steps)
    rows: list[dict[str, Any]] = []
    for pipeline, upstream, name, mode in RUNS:
        res = measure(dirs[pipeline], upstream, name, mode, args.chars)
        rows.append({"component": name, "table": mode, **res})
        print(json.dumps(rows[-1]), file=sys.stderr)
    import treadle

    print(f"\none Doc of {args.chars:,} characters, 1 thread, a fresh process per row")
    print(f"treadle from {Path(treadle.__file__).parent}")
    print(f"{'component':<10} {'table':<8} {'tokens':>9} {'peak +MB':>9} {'seconds':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['component']:<10} {r['table']:<8} error: {r['error']}")
            continue
        print(f"{r['component']:<10} {r['table']:<8} {r['tokens']:>9,} "
              f"{r['peak_growth_mb']:>9.0f} {r['seconds']:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
