"""Saving training output: ``model-best/``, ``model-last/`` and the state to resume from.

Both folders are complete pipelines (``treadle.load`` reads them), written atomically:
built in a temporary folder beside the target, then renamed into place, so an
interrupted save leaves the previous folder whole.

``model-last/`` also holds ``training/`` — everything ``treadle train --resume`` needs
to continue exactly where the run stopped:

- ``state.json``: step, epoch, best score and its step, the checkpoints list, words
  and seconds so far, the random states of Python, numpy and torch, and the loss
  scale of a float16 run (``treadle.ml.grad_scaler``), as JSON;
- ``optimizer.safetensors``: the optimizer's moments, step counts and schedule
  positions (``Optimizer.to_bytes``);
- ``weights.safetensors``: the raw parameters, only when the optimizer keeps
  averages (the pipeline itself is then saved with the averaged weights).

Nothing is pickled.
"""

from __future__ import annotations

import base64
import contextlib
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors.torch import load_file, save

from treadle.errors import ConfigError, SerializationError
from treadle.util import atomic_dir, atomic_write_bytes, read_json, write_json

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.optimizers import Optimizer

BEST_DIR = "model-best"
LAST_DIR = "model-last"
STATE_DIR = "training"
STATE_FILE = "state.json"
OPTIMIZER_FILE = "optimizer.safetensors"
WEIGHTS_FILE = "weights.safetensors"
STATE_VERSION = 1


@dataclass
class TrainingState:
    """Where a training run stands (saved in ``model-last/training/state.json``)."""

    step: int = 0
    epoch: int = 0
    best_score: float | None = None
    best_step: int = 0
    checkpoints: list[tuple[float, int, int]] = field(default_factory=list)
    words: int = 0
    seconds: float = 0.0
    rng: dict[str, Any] | None = None
    # Per component, the state of its loss scaler (mixed precision on a GPU).
    grad_scalers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoints"] = [list(c) for c in self.checkpoints]
        data["version"] = STATE_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> TrainingState:
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise SerializationError(f"{where}: not a treadle training state (version 1).")
        try:
            return cls(
                step=int(data["step"]),
                epoch=int(data["epoch"]),
                best_score=None if data["best_score"] is None else float(data["best_score"]),
                best_step=int(data["best_step"]),
                checkpoints=[(float(s), int(st), int(e)) for s, st, e in data["checkpoints"]],
                words=int(data["words"]),
                seconds=float(data["seconds"]),
                rng=data.get("rng"),
                grad_scalers=dict(data.get("grad_scalers") or {}),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SerializationError(f"{where}: incomplete training state ({err}).") from None


# ------------------------------------------------------------------ random states


def capture_rng() -> dict[str, Any]:
    """The states of Python's, numpy's and torch's global generators, as JSON data."""
    py_version, py_state, py_gauss = random.getstate()
    np_state = np.random.get_state()
    data: dict[str, Any] = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [
            np_state[0],
            np.asarray(np_state[1]).tolist(),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
        "torch": base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode("ascii"),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        data["cuda"] = [
            base64.b64encode(s.numpy().tobytes()).decode("ascii")
            for s in torch.cuda.get_rng_state_all()
        ]
    return data


def restore_rng(data: dict[str, Any]) -> None:
    """Set the global generators back to states from :func:`capture_rng`."""
    version, state, gauss = data["python"]
    random.setstate((version, tuple(state), gauss))
    name, keys, pos, has_gauss, cached = data["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    raw = np.frombuffer(base64.b64decode(data["torch"]), dtype=np.uint8).copy()
    torch.set_rng_state(torch.from_numpy(raw))
    if "cuda" in data and torch.cuda.is_available():
        states = [
            torch.from_numpy(np.frombuffer(base64.b64decode(s), dtype=np.uint8).copy())
            for s in data["cuda"]
        ]
        torch.cuda.set_rng_state_all(states)


@contextlib.contextmanager
def rng_preserved() -> Iterator[None]:
    """Run a block (evaluation, saving) without moving any global random generator, so
    whether a run was evaluated or resumed at a step never changes what follows."""
    saved = capture_rng()
    try:
        yield
    finally:
        restore_rng(saved)


# ------------------------------------------------------------------ loss scalers


def grad_scaler_states(nlp: Language) -> dict[str, dict[str, Any]]:
    """The state of every component's active loss scaler, by component name."""
    out = {}
    for name, proc in nlp.components:
        scaler = getattr(proc, "grad_scaler", None)
        if scaler is not None:
            out[name] = scaler.state_dict()
    return out


def restore_grad_scalers(nlp: Language, states: dict[str, dict[str, Any]]) -> None:
    for name, proc in nlp.components:
        scaler = getattr(proc, "grad_scaler", None)
        if scaler is not None and name in states:
            scaler.load_state_dict(states[name])


# ------------------------------------------------------------------ parameters


def pipeline_params(nlp: Language, exclude: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, torch.Tensor]]:
    """``(key, parameter)`` of every trainable component not in ``exclude``; each tensor
    once (a shared encoder's weights under their owner's key)."""
    seen: set[int] = set()
    out: list[tuple[str, torch.Tensor]] = []
    for name, proc in nlp.components:
        if name in exclude:
            continue
        get = getattr(proc, "parameters_for_optimizer", None)
        if get is not None:
            pairs = list(get())
        else:
            model = getattr(proc, "model", None)
            if not isinstance(model, torch.nn.Module):
                continue
            pairs = [(f"{name}.{k}", p) for k, p in model.named_parameters() if p.requires_grad]
        for key, param in pairs:
            if id(param) in seen:
                continue
            seen.add(id(param))
            out.append((key, param))
    return out


# ------------------------------------------------------------------ saving


def save_pipeline(
    nlp: Language,
    path: Path,
    *,
    performance: dict[str, Any] | None,
    optimizer: Optimizer | None = None,
    before_to_disk: Callable[[Language], Any] | None = None,
    state: TrainingState | None = None,
) -> None:
    """Write ``nlp`` to ``path`` atomically: with the optimizer's averaged weights when
    it keeps them, its meta.json carrying ``performance``, and ``state`` (if given)
    under ``training/`` for resuming."""
    if performance is not None:
        nlp.meta["performance"] = _jsonable(performance)
    with atomic_dir(path) as tmp:
        params = pipeline_params(nlp)
        averaged = optimizer is not None and getattr(optimizer, "use_averages", False)
        # nlp.to_disk replaces the folder it writes, so the state goes in after it.
        raw = {k: p.detach().cpu().clone() for k, p in params} if state and averaged else None
        swap = optimizer.use_params(params) if averaged else contextlib.nullcontext()
        with swap:
            to_save = before_to_disk(nlp) if before_to_disk is not None else nlp
            if to_save is None:
                raise SerializationError(
                    "training.before_to_disk returned None instead of the nlp object."
                )
            to_save.to_disk(tmp)
        if state is not None:
            state.grad_scalers = grad_scaler_states(nlp)
            state_dir = tmp / STATE_DIR
            state_dir.mkdir(parents=True, exist_ok=True)
            write_json(state_dir / STATE_FILE, state.to_json())
            if raw is not None:
                atomic_write_bytes(state_dir / WEIGHTS_FILE, save(raw))
            if optimizer is not None:
                atomic_write_bytes(state_dir / OPTIMIZER_FILE, optimizer.to_bytes())


def check_output_folder(output: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to start a fresh run over a previous run's output, unless told to.

    Training into a folder that holds ``model-last/`` or ``model-best/`` would replace
    them at the first save, whatever they were worth; the user says which they meant."""
    if resume or overwrite:
        return
    found = [name for name in (LAST_DIR, BEST_DIR) if (Path(output) / name).exists()]
    if not found:
        return
    step = ""
    state_path = Path(output) / LAST_DIR / STATE_DIR / STATE_FILE
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError, SerializationError):
        step = f" (model-last at step {int(read_json(state_path)['step'])})"
    raise ConfigError(
        f"{output} already holds a training run: {', '.join(f + '/' for f in found)}{step}. "
        "Continue it with --resume, replace it with --overwrite, or choose another --output."
    )


def clear_previous_run(output: Path) -> None:
    """Remove a previous run's model-last/ and model-best/ (``--overwrite``), so the
    folder never mixes two runs' output."""
    for name in (LAST_DIR, BEST_DIR):
        folder = Path(output) / name
        if folder.is_dir():
            shutil.rmtree(folder)


def has_training_state(path: Path) -> bool:
    return (Path(path) / STATE_DIR / STATE_FILE).exists()


def load_training_state(nlp: Language, path: Path, optimizer: Optimizer | None) -> TrainingState:
    """Read ``path/training/`` back: the state is returned, the optimizer state and (if
    saved) the raw weights are loaded into ``optimizer`` and ``nlp``."""
    state_dir = Path(path) / STATE_DIR
    state_path = state_dir / STATE_FILE
    if not state_path.exists():
        raise SerializationError(
            f"Can't resume: {path} holds no training state ({STATE_DIR}/{STATE_FILE}). "
            f"Was it written by treadle train?"
        )
    state = TrainingState.from_json(read_json(state_path), str(state_path))
    restore_grad_scalers(nlp, state.grad_scalers)
    opt_path = state_dir / OPTIMIZER_FILE
    if optimizer is not None and opt_path.exists():
        optimizer.from_bytes(opt_path.read_bytes())
    weights_path = state_dir / WEIGHTS_FILE
    if weights_path.exists():
        saved = load_file(str(weights_path))
        with torch.no_grad():
            for key, param in pipeline_params(nlp):
                value = saved.get(key)
                if value is not None and value.shape == param.shape:
                    param.copy_(value.to(param.device))
    return state


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


__all__ = [
    "BEST_DIR",
    "LAST_DIR",
    "TrainingState",
    "capture_rng",
    "has_training_state",
    "load_training_state",
    "pipeline_params",
    "restore_rng",
    "rng_preserved",
    "save_pipeline",
]
