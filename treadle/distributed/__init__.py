"""Training one pipeline on several workers (``treadle train --n-workers N``,
``treadle ray train``).

Every worker runs treadle's ordinary training loop (``treadle.training.loop``) with
a :class:`~treadle.training.workers.WorkerGroup` that ties it to the others:

- ``sync.AllReduceGroup``: synchronous data parallelism. Each worker trains on its
  share of every batch; the gradients are summed across workers with
  torch.distributed (gloo on CPU, NCCL on GPU) before one identical optimizer step
  everywhere. N workers match one process with ``accumulate_gradient = N``.
- ``async_group.AsyncGroup`` (``--strategy async``, Ray only): every parameter tensor
  has one owner; workers push gradients to the owners and owners push new weights
  back, through Ray actors, without waiting for each other.

``processes`` starts the workers as local processes; ``ray_train`` as Ray actors,
locally or on a cluster. Ray is imported only there (``pip install 'treadle[ray]'``).
"""

from __future__ import annotations

from treadle.distributed.job import TrainingJob

__all__ = ["TrainingJob"]
