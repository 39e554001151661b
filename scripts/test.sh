#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check treadle tests benchmarks
.venv/bin/python -m pytest -q "$@"
