"""Suite-wide settings.

torch and numpy's BLAS run single-threaded in tests: the models here are tiny, so
intra-op threads cost more in synchronisation than they win, and on a busy 2-core
machine the default thread pools thrash (measured 0.38 s against 0.03 s for one small
update; the parser tests took 152 s against 14 s). The variables must be set before
numpy and torch are first imported.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

torch.set_num_threads(1)
