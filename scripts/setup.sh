#!/usr/bin/env bash
# Creates .venv (if missing) and installs treadle with its dev tools and the
# transformers and ray extras (the transformer tests run on a tiny local model, no
# download; the Ray tests start a local cluster in a private network namespace).
# torch is pinned here, not in pyproject: the pin picks the local CPU wheel on
# machines that ship one instead of pulling the multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
log=.venv/setup.log
: >"$log"
pip_install() {
    # Installer chatter goes to the log; it is shown only when something fails.
    if ! .venv/bin/python -m pip install "$@" >>"$log" 2>&1; then
        cat "$log" >&2
        echo "setup: pip install $* failed (log above, also in $log)" >&2
        exit 1
    fi
}
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    pip_install "torch==${TREADLE_TORCH_VERSION:-2.13.0}"
fi
pip_install -e ".[dev,transformers,ray]"
echo "setup: .venv ready ($(.venv/bin/python -c 'import treadle, torch; print("treadle", treadle.__version__, "torch", torch.__version__)'))"
