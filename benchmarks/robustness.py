"""Issue 14's robustness table: every fuzzer of hostile and broken input in one run.

Each part is its own module with ``run(budget_s) -> list[dict]`` (one row per probe:
inputs, clean errors, crashes, hangs, silent corruption); this script gives each the
same share of ``--budget`` and prints one table:

- ``robustness_config``: the config parser and overrides (mutated starter configs,
  random text, random overrides, the issue's fixed probes);
- ``robustness_tokenizer``: the tokenizer (random unicode, punctuation runs, mutated
  EWT sentences), silent = the text does not reconstruct exactly;
- ``robustness_data``: corrupted ``.docbin`` files and saved pipeline folders.

    python -m benchmarks.robustness --budget 180

Run it as a module from the repository root, so this checkout's ``treadle`` is the
one imported. Aim: 0 crashes, 0 hangs, 0 silent corruption, over at least 100,000
configs, 200,000 tokenizer strings and 10,000 corrupted DocBins.
"""

from __future__ import annotations

import argparse
import importlib
import time
from typing import Any

PARTS = ["robustness_config", "robustness_tokenizer", "robustness_data"]
COLUMNS = ["inputs", "clean_errors", "crashes", "hangs", "silent"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=180.0, help="seconds in all")
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, Any]]] = []
    for part in PARTS:
        try:
            module = importlib.import_module(f"benchmarks.{part}")
        except ImportError as err:
            print(f"{part}: not available ({err})")
            continue
        start = time.perf_counter()
        for row in module.run(args.budget / len(PARTS)):
            rows.append((part.removeprefix("robustness_"), row))
        print(f"{part}: {time.perf_counter() - start:.0f} s")
    print(f"\n{'part':<11}{'probe':<28}" + "".join(f"{c:>14}" for c in COLUMNS))
    totals = dict.fromkeys(COLUMNS, 0)
    for part, row in rows:
        print(f"{part:<11}{row['probe']:<28}" + "".join(f"{row.get(c, 0):>14,}" for c in COLUMNS))
        for c in COLUMNS:
            totals[c] += int(row.get(c, 0))
    print(f"{'all':<39}" + "".join(f"{totals[c]:>14,}" for c in COLUMNS))
    for part, row in rows:
        for example in row.get("examples", []) or []:
            print(f"{part} {row['probe']}: {example}")


if __name__ == "__main__":
    main()
