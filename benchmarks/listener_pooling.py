"""Benchmark: memory and time of a transformer listener's pooling on one long Doc.

Pools ``--pieces``-like wordpiece rows (random, ``--width`` wide) into the rows of
``--tokens`` tokens of one or two pieces each (as MiniLM splits 1,000,000 characters of
EWT text: 212,000 tokens, 235,000-320,000 pieces), without a gradient as in prediction,
once whole and once in blocks of ``treadle.transformers.pooling.BLOCK_TOKENS`` tokens,
each in a fresh process, and prints the growth of peak resident memory over the
output's own size.

    .venv/bin/python benchmarks/listener_pooling.py [--tokens 212000] [--width 384]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import peak_rss_mb  # noqa: E402


def probe(tokens: int, width: int, reduce: str, block: int) -> None:
    import numpy as np
    import torch

    from treadle.ml.layers.reduce import ReduceMax, ReduceMean
    from treadle.ml.ragged import Ragged
    from treadle.transformers.pooling import PiecePooling

    torch.set_num_threads(1)
    lengths = np.random.default_rng(0).integers(1, 3, tokens)
    hidden = torch.randn(int(lengths.sum()), width)
    alignment = Ragged(torch.arange(int(lengths.sum())), lengths.tolist())
    pool = PiecePooling({"mean": ReduceMean(), "max": ReduceMax()}[reduce], block_tokens=block)
    with open("/proc/self/clear_refs", "w") as fh:  # restart VmHWM from here
        fh.write("5")
    base = peak_rss_mb()
    start = time.perf_counter()
    with torch.no_grad():
        out = pool(hidden, alignment)
    seconds = time.perf_counter() - start
    print(f"{peak_rss_mb() - base:.0f} {out.numel() * 4 / 2**20:.0f} {seconds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=212_000)
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--probe", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        tokens, width, reduce, block = args.probe
        probe(int(tokens), int(width), reduce, int(block))
        return
    from treadle.transformers.pooling import BLOCK_TOKENS

    print(f"{args.tokens:,} tokens, width {args.width}, no gradient")
    print(f"{'reduce':<8}{'pooled':<18}{'peak growth MB':>16}{'output MB':>11}{'seconds':>9}")
    for reduce in ("mean", "max"):
        for label, block in (("whole", args.tokens + 1), (f"blocks of {BLOCK_TOKENS:,}", BLOCK_TOKENS)):
            cmd = [sys.executable, __file__, "--probe", str(args.tokens), str(args.width), reduce, str(block)]
            growth, size, seconds = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
            print(f"{reduce:<8}{label:<18}{growth:>16}{size:>11}{seconds:>9}")


if __name__ == "__main__":
    main()
