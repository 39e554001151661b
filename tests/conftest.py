"""Suite-wide settings.

torch runs single-threaded in tests: the models here are tiny, so intra-op threads
cost more in synchronisation than they win, and on a busy 2-core CI machine the
default thread pool thrashes (measured 0.38 s against 0.03 s for one small update).
"""

import torch

torch.set_num_threads(1)
