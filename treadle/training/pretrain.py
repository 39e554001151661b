"""Pretraining: ``pretrain(config, output_dir)`` teaches a tok2vec layer from raw text.

The config is a training config with a ``[pretraining]`` section (defaults:
``treadle/default_config_pretraining.cfg``, merged under it). The pipeline is built
from ``[nlp]``/``[components]`` but not initialized: only the layer that
``pretraining.component`` and ``pretraining.layer`` name is trained, with the
objective's head (``[pretraining.objective]``) on top, on the texts of the corpus
``pretraining.corpus`` names (usually ``treadle.JsonlCorpus.v1``).

Each epoch is one pass over the corpus, in the reader's order, batched by
``[pretraining.batcher]``. At the end of an epoch (every ``n_save_epoch`` epochs, and
the last, when that is set) the layer's weights (the optimizer's averages when it
keeps them) go to ``model{epoch}.safetensors``; with ``n_save_every`` a
``model{epoch}.temp.safetensors`` is also written every that many words. A row per
epoch (epoch, step, words, loss per word, words per second) goes to ``log.jsonl``,
and a live table of the same columns to stderr.

``resume_path`` loads a weight file into the layer first; the epochs are then
numbered from ``epoch_resume``, or from N + 1 for a file named ``model{N}...``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import torch

from treadle.config import Config, registry
from treadle.config.schemas import PretrainingSchema
from treadle.errors import ConfigError, ConfigValidationError, DataError
from treadle.language import Language
from treadle.ml import fix_random_seed, require_gpu
from treadle.ml.architectures.tagger import encode_packed, encoder_width
from treadle.ml.dropout import set_dropout_rate
from treadle.ml.pretrained_weights import find_layer, load_weights, save_weights
from treadle.tokens import Doc
from treadle.training.initialize import fill_training_config, get_corpus, read_corpus
from treadle.util import atomic_write_text

if TYPE_CHECKING:
    from treadle.ml.architectures.pretraining import PretrainHead
    from treadle.ml.optimizers import Optimizer

DEFAULT_PRETRAINING_CONFIG_PATH = Path(__file__).parent.parent / "default_config_pretraining.cfg"
LOG_FILE = "log.jsonl"
CONFIG_FILE = "config.cfg"
# The live table gets a row at most this often (and at each epoch's end).
PROGRESS_SECONDS = 2.0
_EPOCH_IN_NAME = re.compile(r"model(\d+)(?:\.temp)?\.safetensors$")


def fill_pretraining_config(config: Mapping[str, Any]) -> Config:
    """``config`` over the pretraining and training defaults, filled and validated."""
    user = config if isinstance(config, Config) else Config(config)
    if "pretraining" not in user:
        raise ConfigError(
            "The config has no [pretraining] section. Add the defaults with: "
            "treadle init fill-config CONFIG OUTPUT --pretraining"
        )
    defaults = Config().from_disk(DEFAULT_PRETRAINING_CONFIG_PATH, interpolate=False)
    merged = defaults.merge(user)
    merged.is_interpolated = getattr(user, "is_interpolated", True) and getattr(
        defaults, "is_interpolated", True
    )
    return fill_training_config(merged)


def epoch_from_filename(path: str | Path) -> int:
    """The epoch to continue from after ``model{N}.safetensors``: N + 1."""
    match = _EPOCH_IN_NAME.search(Path(path).name)
    if match is None:
        raise ConfigError(
            f"--resume-path {str(path)!r}: can't tell its epoch from the name (expected "
            f"model<N>.safetensors); give the epoch to continue from with --epoch-resume."
        )
    return int(match.group(1)) + 1


@dataclass
class PretrainResult:
    """What a run wrote: the weight files (in order) and the log rows."""

    weights: list[Path] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)


def pretrain(
    config: Mapping[str, Any],
    output_dir: str | Path,
    *,
    resume_path: str | Path | None = None,
    epoch_resume: int | None = None,
    use_gpu: int = -1,
    stderr: IO[str] | None = None,
) -> PretrainResult:
    """Pretrain the layer ``[pretraining]`` names; see the module docstring."""
    if epoch_resume is not None and resume_path is None:
        raise ConfigError("--epoch-resume needs --resume-path, the weights to continue from.")
    if epoch_resume is not None and epoch_resume < 0:
        raise ConfigError(f"--epoch-resume must be 0 or more, got {epoch_resume}.")
    filled = fill_pretraining_config(config)
    interpolated = filled if filled.is_interpolated else filled.interpolate()
    settings, corpora = _resolve(interpolated)
    if use_gpu >= 0:
        require_gpu(use_gpu)
    seed = (interpolated.get("training") or {}).get("seed")
    if seed is not None:
        fix_random_seed(seed)
    nlp = Language.from_config(interpolated)
    vectors = (interpolated.get("initialize") or {}).get("vectors")
    if vectors:
        nlp.load_vectors(vectors)
    # A tok2vec with static vectors gets its projection's width before the optimizer
    # collects the parameters, as in training.
    nlp.prepare_static_vectors()
    run = _Pretrainer(nlp, settings, corpora, interpolated, Path(output_dir), stderr or sys.stderr)
    start = 0
    if resume_path is not None:
        load_weights(run.layer, resume_path, key="--resume-path")
        start = epoch_resume if epoch_resume is not None else epoch_from_filename(resume_path)
    run.output.mkdir(parents=True, exist_ok=True)
    filled.to_disk(run.output / CONFIG_FILE)
    return run.run(start, resumed=resume_path is not None)


def _resolve(config: Config) -> tuple[PretrainingSchema, dict[str, Any]]:
    resolved = registry.resolve(
        {"pretraining": config["pretraining"], "corpora": config.get("corpora", {})},
        validate=True,
    )
    try:
        settings = PretrainingSchema.model_validate(resolved["pretraining"])
    except Exception as err:  # pydantic.ValidationError
        errors = getattr(err, "errors", None)
        if callable(errors):
            raise ConfigValidationError(
                [{"loc": ["pretraining", *e.get("loc", ())], "msg": e["msg"]} for e in errors()],
                title="Config validation error in [pretraining]",
            ) from None
        raise
    for key in ("batcher", "objective", "optimizer"):
        if getattr(settings, key) is None:
            raise ConfigError(f"pretraining.{key} is not set: the config needs [pretraining.{key}].")
    if not callable(settings.objective):
        raise ConfigError(
            "[pretraining.objective] must build an objective, e.g. "
            '@architectures = "treadle.PretrainCharacters.v1".'
        )
    return settings, resolved.get("corpora", {})


class _Pretrainer:
    def __init__(
        self,
        nlp: Language,
        settings: PretrainingSchema,
        corpora: dict[str, Any],
        config: Config,
        output: Path,
        stderr: IO[str],
    ) -> None:
        self.nlp, self.P, self.output, self.stderr = nlp, settings, output, stderr
        self.reader = get_corpus(corpora, settings.corpus, "pretraining.corpus")
        if settings.component not in nlp.component_names:
            raise ConfigError(
                f"pretraining.component = {settings.component!r} is not in the pipeline "
                f"({', '.join(nlp.component_names) or 'empty'})."
            )
        model = getattr(nlp.get_pipe(settings.component), "model", None)
        if not isinstance(model, torch.nn.Module):
            raise ConfigError(
                f"pretraining.component = {settings.component!r} has no model to pretrain."
            )
        self.layer = find_layer(model, settings.layer, where=f"pretraining.layer = {settings.layer!r}")
        self.head: PretrainHead = settings.objective(nlp.vocab, self._width())
        self.head.to(next((p.device for p in self.layer.parameters()), torch.device("cpu")))
        self.optimizer: Optimizer = settings.optimizer
        self.layer_params = [(f"tok2vec.{k}", p) for k, p in self.layer.named_parameters()]
        self.params = self.layer_params + [(f"objective.{k}", p) for k, p in self.head.named_parameters()]
        objective = config["pretraining"].get("objective") or {}
        self.objective_name = objective.get("@architectures", "") if isinstance(objective, Mapping) else ""
        self.result = PretrainResult()
        self.step = 0
        self.words = 0

    def _width(self) -> int:
        width = encoder_width(self.layer)
        if width is None:
            with torch.no_grad():
                width = int(encode_packed(self.layer, [self.nlp.make_doc("width probe")]).data.shape[1])
        return width

    # ------------------------------------------------------------------ the run

    def run(self, start: int, *, resumed: bool) -> PretrainResult:
        P = self.P
        self.result.log = self._earlier_log(start) if resumed else []
        table = _Table(self.stderr)
        for epoch in range(start, P.max_epochs):
            epoch_words, epoch_loss, t0 = 0, 0.0, time.perf_counter()
            since_save = 0
            for docs in self._batches():
                n, loss = self._update(docs)
                epoch_words += n
                epoch_loss += loss * n
                since_save += n
                table.progress(epoch, self.step, self.words, loss, epoch_words, t0)
                if P.n_save_every and since_save >= P.n_save_every:
                    self._save(self.output / f"model{epoch}.temp.safetensors", epoch)
                    since_save = 0
            if epoch_words == 0:
                raise DataError(
                    f"The pretraining corpus ({P.corpus}) yielded no words: check its path "
                    f"(paths.raw_text) and its min_length/max_length."
                )
            seconds = max(time.perf_counter() - t0, 1e-9)
            row = {
                "epoch": epoch,
                "step": self.step,
                "words": self.words,
                "loss": epoch_loss / epoch_words,
                "words_per_second": epoch_words / seconds,
            }
            self.result.log.append(row)
            table.row(row)
            last = epoch == P.max_epochs - 1
            if not P.n_save_epoch or epoch % P.n_save_epoch == 0 or last:
                path = self.output / f"model{epoch}.safetensors"
                self._save(path, epoch)
                self.result.weights.append(path)
            self._write_log()
        return self.result

    def _batches(self) -> Iterator[list[Doc]]:
        stream = read_corpus(self.reader, self.nlp, self.P.corpus)
        for batch in self.P.batcher(stream):
            docs = [eg if isinstance(eg, Doc) else eg.predicted for eg in batch]
            if any(len(doc) for doc in docs):
                yield docs

    def _update(self, docs: list[Doc]) -> tuple[int, float]:
        self.layer.train()
        self.head.train()
        set_dropout_rate(self.layer, self.P.dropout)
        set_dropout_rate(self.head, self.P.dropout)
        X = encode_packed(self.layer, docs).data
        loss = self.head.get_loss(docs, X)
        loss.backward()
        self.optimizer.step(self.params)
        for _, p in self.params:
            p.grad = None
        self.optimizer.step_schedules()
        n = int(X.shape[0])
        self.step += 1
        self.words += n
        return n, float(loss.detach())

    # ------------------------------------------------------------------ output

    def _save(self, path: Path, epoch: int) -> None:
        averaged = getattr(self.optimizer, "use_averages", False) and self.optimizer.averages
        swap = self.optimizer.use_params(self.layer_params) if averaged else contextlib.nullcontext()
        with swap:
            save_weights(
                path,
                self.layer,
                component=self.P.component,
                layer=self.P.layer,
                objective=self.objective_name,
                epoch=epoch,
                step=self.step,
            )

    def _earlier_log(self, start: int) -> list[dict[str, Any]]:
        path = self.output / LOG_FILE
        if not path.exists():
            return []
        rows = [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]
        return [r for r in rows if isinstance(r, dict) and r.get("epoch", start) < start]

    def _write_log(self) -> None:
        # The whole file each epoch, atomically: a crash never leaves half a row.
        text = "".join(json.dumps(row) + "\n" for row in self.result.log)
        atomic_write_text(self.output / LOG_FILE, text)


class _Table:
    """The live console table on stderr."""

    COLUMNS = ("Epoch", "Step", "Words", "Loss", "Words/s")

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._header = False
        self._last = time.perf_counter()

    def _line(self, values: tuple[str, ...]) -> None:
        if not self._header:
            self._header = True
            self._line(self.COLUMNS)
            self._line(tuple("-" * len(c) for c in self.COLUMNS))
        self.out.write("  ".join(f"{v:>10}" for v in values) + "\n")
        self.out.flush()

    def progress(self, epoch: int, step: int, words: int, loss: float, epoch_words: int, t0: float) -> None:
        now = time.perf_counter()
        if now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        wps = epoch_words / max(now - t0, 1e-9)
        self._line((str(epoch), str(step), str(words), f"{loss:.4f}", f"{wps:,.0f}"))

    def row(self, row: dict[str, Any]) -> None:
        self._last = time.perf_counter()
        self._line(
            (
                str(row["epoch"]),
                str(row["step"]),
                str(row["words"]),
                f"{row['loss']:.4f}",
                f"{row['words_per_second']:,.0f}",
            )
        )


__all__ = ["PretrainResult", "epoch_from_filename", "fill_pretraining_config", "pretrain"]
