"""treadle.ml: the neural toolkit on PyTorch.

Importing it registers the schedules, optimizers, losses, layers and architectures.
"""

from treadle.ml import architectures, layers  # noqa: F401  (registration)
from treadle.ml.batching import SizedGenerator, minibatch, multibatch
from treadle.ml.device import (
    fix_random_seed,
    get_current_device,
    prefer_gpu,
    require_cpu,
    require_gpu,
)
from treadle.ml.losses import (
    CategoricalCrossentropy,
    CosineDistance,
    L2Distance,
    SequenceCategoricalCrossentropy,
    backward_objective,
)
from treadle.ml.modules import get_module_ref, set_module_ref
from treadle.ml.optimizers import SGD, Adam, AdamW, Optimizer, RAdam
from treadle.ml.ragged import Ragged
from treadle.ml.schedules import (
    Schedule,
    compounding,
    constant,
    cyclic_triangular,
    decaying,
    slanted_triangular,
    warmup_linear,
)

__all__ = [
    "get_module_ref", "set_module_ref", "Ragged",
    "minibatch", "multibatch", "SizedGenerator",
    "Schedule", "constant", "compounding", "decaying", "warmup_linear", "cyclic_triangular",
    "slanted_triangular",
    "Optimizer", "Adam", "RAdam", "AdamW", "SGD",
    "CategoricalCrossentropy", "SequenceCategoricalCrossentropy", "L2Distance", "CosineDistance",
    "backward_objective",
    "require_gpu", "prefer_gpu", "require_cpu", "fix_random_seed", "get_current_device",
]
