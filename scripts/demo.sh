#!/usr/bin/env bash
# Sets everything up and runs the main job on the sample corpus shipped in examples/data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/treadle info
