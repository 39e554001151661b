"""Synchronous data parallelism over torch.distributed: :class:`AllReduceGroup`.

After each worker's ``nlp.update`` on its share of the batch, the gradients of every
parameter are summed across workers in ONE all-reduce of a flat buffer (per device
and dtype), then every worker takes the same optimizer step, so the weights never
drift apart. Modules are not wrapped in DDP: listeners and shared encoders get their
gradients from the ordinary backward pass, and the sum covers whatever reached them.

The buffer also carries, per parameter, whether any gradient reached it (a
parameter no worker touched keeps ``grad = None``, as in one process) and a stop
flag (Ctrl-C in any worker stops them all after the same step).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist

from treadle.training.checkpoint import pipeline_params
from treadle.training.workers import own_batch

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens.example import Example


class AllReduceGroup:
    """One of ``size`` workers in an initialized torch.distributed process group."""

    def __init__(self, rank: int, size: int, device: torch.device | str = "cpu") -> None:
        self.rank = rank
        self.size = size
        self.device = torch.device(device)

    @property
    def is_leader(self) -> bool:
        return self.rank == 0

    def setup(self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str]) -> None:
        # Every worker built the same pipeline from the same seed; copying the
        # leader's weights makes that an invariant rather than a hope.
        with torch.no_grad():
            for tensors in _buckets([p for _, p in pipeline_params(nlp)]):
                flat = torch.cat([t.detach().reshape(-1) for t in tensors])
                dist.broadcast(flat, src=0)
                _scatter(flat, tensors)

    def share(self, batches: list[list[Example]]) -> tuple[int, list[Example]]:
        return self.rank, own_batch(batches, self.rank)

    def finish_update(
        self, nlp: Language, optimizer: Optimizer, exclude: Iterable[str], stop: bool
    ) -> bool:
        params = [p for _, p in pipeline_params(nlp, exclude=set(exclude))]
        stop_flag = torch.tensor([1.0 if stop else 0.0], device=self.device)
        stopped = False
        for i, tensors in enumerate(_buckets(params)):
            grads = [
                p.grad.reshape(-1) if p.grad is not None else torch.zeros_like(p).reshape(-1)
                for p in tensors
            ]
            reached = torch.tensor(
                [0.0 if p.grad is None else 1.0 for p in tensors],
                dtype=tensors[0].dtype,
                device=tensors[0].device,
            )
            extra = [reached, stop_flag.to(reached)] if i == 0 else [reached]
            flat = torch.cat([*grads, *extra])
            dist.all_reduce(flat, op=dist.ReduceOp.SUM)
            n = sum(p.numel() for p in tensors)
            flags = flat[n : n + len(tensors)]
            if i == 0:
                stopped = bool(flat[-1] > 0)
            offset = 0
            for p, flag in zip(tensors, flags.tolist(), strict=True):
                size = p.numel()
                p.grad = flat[offset : offset + size].view_as(p) if flag > 0 else None
                offset += size
        if not params:
            dist.all_reduce(stop_flag, op=dist.ReduceOp.SUM)
            stopped = bool(stop_flag.item() > 0)
        nlp.finish_update(optimizer, exclude=exclude)
        return stopped

    def decide(self, decision: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(decision).encode("utf8") if self.is_leader else b""
        size = torch.tensor([len(data)], dtype=torch.int64, device=self.device)
        dist.broadcast(size, src=0)
        buf = torch.zeros(int(size.item()), dtype=torch.uint8, device=self.device)
        if self.is_leader:
            buf.copy_(torch.frombuffer(bytearray(data), dtype=torch.uint8))
        dist.broadcast(buf, src=0)
        return json.loads(bytes(buf.cpu().tolist()).decode("utf8"))

    def sum_losses(self, losses: dict[str, float]) -> dict[str, float]:
        keys = sorted(losses)
        values = torch.tensor([losses[k] for k in keys], dtype=torch.float64, device=self.device)
        if keys:
            dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return dict(zip(keys, values.tolist(), strict=True))

    def before_checkpoint(self, nlp: Language, optimizer: Optimizer) -> Optimizer:
        return optimizer

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()


def _buckets(tensors: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    """``tensors`` grouped by (device, dtype), in a fixed order on every worker."""
    groups: dict[tuple[str, torch.dtype], list[torch.Tensor]] = {}
    for t in tensors:
        groups.setdefault((str(t.device), t.dtype), []).append(t)
    return list(groups.values())


def _scatter(flat: torch.Tensor, tensors: list[torch.Tensor]) -> None:
    offset = 0
    for t in tensors:
        size = t.numel()
        t.copy_(flat[offset : offset + size].view_as(t))
        offset += size


__all__ = ["AllReduceGroup"]
