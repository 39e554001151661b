"""Loss calculators returning ``(grad, loss)``, with ``get_grad`` and ``get_loss``.

``grad`` is the gradient of the loss with respect to the guesses, ready to pass to
``backprop``; it has the kind (numpy array or tensor) of the guesses. ``loss`` is a
Python float.

``CategoricalCrossentropy`` expects *probabilities* (the output of a ``Softmax``
layer, as treadle's components produce) and returns ``probs - truth`` (divided by
the number of rows with ``normalize=True``): the gradient of the cross-entropy with
respect to the pre-softmax scores. treadle's ``Softmax`` layer passes the incoming
gradient straight to its scores for exactly this reason (see layers/softmax.py);
feed it to any other layer only if that is what you mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from treadle.config import registry
from treadle.errors import DataError


def _as_tensor(x: Any, like: torch.Tensor | None = None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x if like is None else x.to(like.device)
    arr = np.asarray(x)
    t = torch.from_numpy(np.ascontiguousarray(arr))
    if like is not None:
        t = t.to(like.device)
    return t


def _like_input(grad: torch.Tensor, guesses: Any) -> Any:
    if isinstance(guesses, torch.Tensor):
        return grad
    return grad.detach().cpu().numpy().astype(np.asarray(guesses).dtype, copy=False)


def backward_objective(outputs: Any, grads: Any) -> torch.Tensor:
    """A scalar whose gradient with respect to ``outputs`` is ``grads``.

    Lets a component that computes gradients Thinc-style (``grad, loss = loss_fn(Y, truth)``)
    take part in the single ``backward()`` over the summed losses of all components::

        probs = module(docs)                     # e.g. ends in Softmax (fused_grad)
        d_probs, loss_value = loss_fn(probs.detach(), truths)
        objective = backward_objective(probs, d_probs)   # add to the other components'
    """
    if isinstance(outputs, torch.Tensor):
        g = grads if isinstance(grads, torch.Tensor) else torch.as_tensor(np.asarray(grads))
        return (outputs * g.to(device=outputs.device, dtype=outputs.dtype).detach()).sum()
    total = None
    for out, g in zip(outputs, grads, strict=True):
        term = backward_objective(out, g)
        total = term if total is None else total + term
    if total is None:
        raise DataError("backward_objective: no outputs")
    return total


class Loss:
    def __call__(self, guesses: Any, truths: Any) -> tuple[Any, float]:
        return self.get_grad(guesses, truths), self.get_loss(guesses, truths)

    def get_grad(self, guesses: Any, truths: Any) -> Any:
        raise NotImplementedError

    def get_loss(self, guesses: Any, truths: Any) -> float:
        raise NotImplementedError


class CategoricalCrossentropy(Loss):
    """Cross-entropy of predicted class probabilities against the truth.

    ``truths`` may be: integer class indices (array, tensor or list); a one-hot or
    soft target matrix of the guesses' shape; or label strings when ``names`` is
    given. Rows whose truth is missing — ``None``, ``-1``, or ``missing_value`` — get
    zero gradient and no loss; an unknown label string raises DataError.
    """

    def __init__(
        self,
        *,
        normalize: bool = True,
        names: Sequence[str] | None = None,
        missing_value: int | str | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        self.normalize = normalize
        self.names = list(names) if names is not None else None
        self._name_to_i = {n: i for i, n in enumerate(self.names)} if self.names else {}
        self.missing_value = missing_value
        self.label_smoothing = label_smoothing

    def _targets(self, guesses: torch.Tensor, truths: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """(target distribution (n, nO), mask of present rows (n,))."""
        n, n_classes = guesses.shape
        if isinstance(truths, torch.Tensor | np.ndarray) and truths.ndim == 2:
            target = _as_tensor(truths, guesses).to(guesses.dtype)
            if target.shape != guesses.shape:
                raise DataError(f"truth shape {tuple(target.shape)} != guesses shape {(n, n_classes)}")
            mask = torch.ones(n, dtype=torch.bool, device=guesses.device)
        else:
            idx = self._indices(truths, n_classes)
            if len(idx) != n:
                raise DataError(f"{len(idx)} truths for {n} guesses")
            idx_t = torch.as_tensor(idx, device=guesses.device)
            mask = idx_t >= 0
            target = torch.zeros_like(guesses)
            rows = torch.nonzero(mask).squeeze(1)
            target[rows, idx_t[rows]] = 1.0
        if self.label_smoothing:
            target = target * (1 - self.label_smoothing) + self.label_smoothing / n_classes
        return target, mask

    def _indices(self, truths: Any, n_classes: int) -> np.ndarray:
        if isinstance(truths, torch.Tensor):
            truths = truths.detach().cpu().numpy()
        if isinstance(truths, np.ndarray) and truths.dtype.kind in "iu":
            idx = truths.astype(np.int64)
            if self.missing_value is not None and not isinstance(self.missing_value, str):
                idx = np.where(idx == self.missing_value, -1, idx)
        else:
            out = []
            for t in truths:
                if t is None or t == self.missing_value:
                    out.append(-1)
                elif isinstance(t, str):
                    if not self._name_to_i:
                        raise DataError(f"label {t!r} given but the loss has no names=[...]")
                    if t not in self._name_to_i:
                        raise DataError(f"unknown label {t!r}; known: {self.names}")
                    out.append(self._name_to_i[t])
                else:
                    out.append(int(t))
            idx = np.asarray(out, dtype=np.int64)
        if idx.size and idx.max() >= n_classes:
            raise DataError(f"class index {int(idx.max())} out of range for {n_classes} classes")
        return idx

    def _compute(self, guesses: Any, truths: Any) -> tuple[torch.Tensor, float]:
        g = _as_tensor(guesses).detach()
        if g.ndim != 2:
            raise DataError(f"guesses must be 2-d (n, n_classes), got shape {tuple(g.shape)}")
        target, mask = self._targets(g, truths)
        m = mask.unsqueeze(1).to(g.dtype)
        grad = (g - target) * m
        loss = -(target * torch.log(g.clamp_min(1e-12)) * m).sum()
        if self.normalize and g.shape[0]:
            grad = grad / g.shape[0]
            loss = loss / g.shape[0]
        return grad, float(loss.detach())

    def __call__(self, guesses: Any, truths: Any) -> tuple[Any, float]:
        grad, loss = self._compute(guesses, truths)
        return _like_input(grad, guesses), loss

    def get_grad(self, guesses: Any, truths: Any) -> Any:
        return _like_input(self._compute(guesses, truths)[0], guesses)

    def get_loss(self, guesses: Any, truths: Any) -> float:
        return self._compute(guesses, truths)[1]


class SequenceCategoricalCrossentropy(Loss):
    """CategoricalCrossentropy over a list of (n_i, n_classes) guesses, one per sequence.

    Returns a list of gradients and the summed loss; with ``normalize`` each
    gradient is divided by the total number of rows of all sequences.
    """

    def __init__(
        self,
        *,
        normalize: bool = True,
        names: Sequence[str] | None = None,
        missing_value: int | str | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        self.normalize = normalize
        self.cc = CategoricalCrossentropy(
            normalize=False, names=names, missing_value=missing_value,
            label_smoothing=label_smoothing,
        )

    def __call__(self, guesses: Sequence[Any], truths: Sequence[Any]) -> tuple[list[Any], float]:
        if len(guesses) != len(truths):
            raise DataError(f"{len(truths)} truth sequences for {len(guesses)} guess sequences")
        total = sum(int(g.shape[0]) for g in guesses) or 1
        scale = 1.0 / total if self.normalize else 1.0
        grads, loss = [], 0.0
        for g, t in zip(guesses, truths, strict=True):
            d, value = self.cc._compute(g, t)
            grads.append(_like_input(d * scale, g))
            loss += value * scale
        return grads, loss

    def get_grad(self, guesses: Sequence[Any], truths: Sequence[Any]) -> list[Any]:
        return self(guesses, truths)[0]

    def get_loss(self, guesses: Sequence[Any], truths: Sequence[Any]) -> float:
        return self(guesses, truths)[1]


class L2Distance(Loss):
    """``loss = 0.5 * sum((guess - truth)²) / n``, ``grad = (guess - truth) / n``,
    with ``n`` the number of rows when ``normalize`` else 1."""

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize

    def _compute(self, guesses: Any, truths: Any) -> tuple[torch.Tensor, float]:
        g = _as_tensor(guesses).detach()
        t = _as_tensor(truths, g).to(g.dtype)
        if g.shape != t.shape:
            raise DataError(f"L2Distance: shapes differ: {tuple(g.shape)} vs {tuple(t.shape)}")
        n = g.shape[0] if (self.normalize and g.ndim and g.shape[0]) else 1
        d = g - t
        return d / n, float(0.5 * (d * d).sum() / n)

    def __call__(self, guesses: Any, truths: Any) -> tuple[Any, float]:
        grad, loss = self._compute(guesses, truths)
        return _like_input(grad, guesses), loss

    def get_grad(self, guesses: Any, truths: Any) -> Any:
        return self(guesses, truths)[0]

    def get_loss(self, guesses: Any, truths: Any) -> float:
        return self._compute(guesses, truths)[1]


class CosineDistance(Loss):
    """``loss = sum(1 - cos(guess_i, truth_i)) / n`` over rows; rows of zero truth are ignored
    (``ignore_zeros``). ``grad`` is its exact gradient with respect to the guesses."""

    def __init__(self, *, normalize: bool = True, ignore_zeros: bool = False) -> None:
        self.normalize = normalize
        self.ignore_zeros = ignore_zeros

    def _compute(self, guesses: Any, truths: Any) -> tuple[torch.Tensor, float]:
        g0 = _as_tensor(guesses).detach()
        t = _as_tensor(truths, g0).to(g0.dtype)
        if g0.shape != t.shape:
            raise DataError(f"CosineDistance: shapes differ: {tuple(g0.shape)} vs {tuple(t.shape)}")
        with torch.enable_grad():
            g = g0.clone().requires_grad_(True)
            cos = torch.nn.functional.cosine_similarity(g, t, dim=-1, eps=1e-8)
            per_row = 1.0 - cos
            if self.ignore_zeros:
                per_row = per_row * (t.abs().sum(-1) > 0).to(g.dtype)
            n = g.shape[0] if (self.normalize and g.shape[0]) else 1
            loss = per_row.sum() / n
            (grad,) = torch.autograd.grad(loss, g)
        return grad, float(loss.detach())

    def __call__(self, guesses: Any, truths: Any) -> tuple[Any, float]:
        grad, loss = self._compute(guesses, truths)
        return _like_input(grad, guesses), loss

    def get_grad(self, guesses: Any, truths: Any) -> Any:
        return self(guesses, truths)[0]

    def get_loss(self, guesses: Any, truths: Any) -> float:
        return self._compute(guesses, truths)[1]


@registry.losses("CategoricalCrossentropy.v1")
def configure_CategoricalCrossentropy(
    normalize: bool = True,
    names: list[str] | None = None,
    missing_value: int | str | None = None,
    label_smoothing: float = 0.0,
) -> CategoricalCrossentropy:
    return CategoricalCrossentropy(
        normalize=normalize, names=names, missing_value=missing_value,
        label_smoothing=label_smoothing,
    )


@registry.losses("SequenceCategoricalCrossentropy.v1")
def configure_SequenceCategoricalCrossentropy(
    normalize: bool = True,
    names: list[str] | None = None,
    missing_value: int | str | None = None,
    label_smoothing: float = 0.0,
) -> SequenceCategoricalCrossentropy:
    return SequenceCategoricalCrossentropy(
        normalize=normalize, names=names, missing_value=missing_value,
        label_smoothing=label_smoothing,
    )


@registry.losses("L2Distance.v1")
def configure_L2Distance(normalize: bool = True) -> L2Distance:
    return L2Distance(normalize=normalize)


@registry.losses("CosineDistance.v1")
def configure_CosineDistance(normalize: bool = True, ignore_zeros: bool = False) -> CosineDistance:
    return CosineDistance(normalize=normalize, ignore_zeros=ignore_zeros)
