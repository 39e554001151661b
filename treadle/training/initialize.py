"""From a training config to an initialized ``nlp``: ``init_nlp(config)``.

Steps: merge the config over treadle's defaults and fill every registered function's
defaults in, components included; resolve and validate ``[training]`` and
``[corpora]``; seed the random generators; build the ``nlp`` from ``[nlp]`` and
``[components]``; check what the training loop needs (corpora, component names,
optimizer, batcher, logger, score weights); then ``nlp.initialize`` with the training
corpus, which reads ``[initialize]`` (vectors, tokenizer and component settings such
as labels, callbacks). Frozen components and components sourced from a trained
pipeline keep their state: they are not initialized again.

Everything before ``nlp.initialize`` is :func:`check_training_config`, which
``treadle debug config`` runs too, so a config it calls valid is one ``train`` starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treadle.config import Config, registry
from treadle.config.schemas import TrainingSchema
from treadle.errors import ConfigError, ConfigValidationError, DataError, PipelineError
from treadle.language import Language, load
from treadle.ml import fix_random_seed, require_gpu
from treadle.scoring import get_score_weights
from treadle.training.augment import reader_augmenter, seed_augmenter, stream_seed
from treadle.training.checkpoint import LAST_DIR, has_training_state
from treadle.util import get_closest

if TYPE_CHECKING:
    from treadle.tokens.example import Example
    from treadle.training.corpus import Reader

DEFAULT_CONFIG_PATH = Path(__file__).parent.parent / "default_config.cfg"


def fill_training_config(config: Mapping[str, Any]) -> Config:
    """``config`` over treadle's default training config, with every function default
    written in and validated. Stays uninterpolated if ``config`` was."""
    user = config if isinstance(config, Config) else Config(config)
    defaults = Config().from_disk(DEFAULT_CONFIG_PATH, interpolate=False)
    merged = defaults.merge(user)
    merged.is_interpolated = getattr(user, "is_interpolated", True) and not _has_refs(merged)
    return registry.fill(merged, validate=True)


def _has_refs(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_has_refs(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_refs(v) for v in value)
    return False


def resolve_training(config: Mapping[str, Any]) -> tuple[TrainingSchema, dict[str, Any]]:
    """``[training]`` resolved (batcher, optimizer, logger, callbacks built) and typed,
    and ``[corpora]`` resolved (the readers)."""
    config = _interpolated(config)
    if "training" not in config:
        raise ConfigError("The config has no [training] section.")
    resolved = registry.resolve(
        {"training": config["training"], "corpora": config.get("corpora", {})}, validate=True
    )
    try:
        settings = TrainingSchema.model_validate(resolved["training"])
    except Exception as err:  # pydantic.ValidationError
        errors = getattr(err, "errors", None)
        if callable(errors):
            raise ConfigValidationError(
                [{"loc": ["training", *e.get("loc", ())], "msg": e["msg"]} for e in errors()],
                title="Config validation error in [training]",
            ) from None
        raise
    return settings, resolved.get("corpora", {})


def get_corpus(corpora: Mapping[str, Any], dotted: str, key: str) -> Reader:
    """The reader at ``dotted`` (e.g. ``corpora.train``) named by config key ``key``."""
    parts = dotted.split(".")
    node: Any = {"corpora": corpora}
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigError(
                f"{key} = {dotted!r}, but the config has no [{dotted}] block. "
                f"Corpora defined: {', '.join(f'corpora.{k}' for k in corpora) or 'none'}."
            )
        node = node[part]
    if not callable(node):
        raise ConfigError(f"[{dotted}] (from {key}) must be a reader, e.g. @readers = ...")
    return node


def read_corpus(reader: Reader, nlp: Language, dotted: str) -> Iterator[Example]:
    """Call a reader and stream its Examples; a data error names the config block, or
    the setting (``corpora.train.path``) when the reader says which one is wrong."""
    try:
        stream = reader(nlp)
    except DataError as err:
        raise _named(err, dotted) from None
    return _guarded(stream, dotted)


def _guarded(stream: Iterable[Example], dotted: str) -> Iterator[Example]:
    try:
        yield from stream
    except DataError as err:
        raise _named(err, dotted) from None


def _named(err: DataError, dotted: str) -> DataError:
    setting = getattr(err, "setting", None)
    where = f"{dotted}.{setting}" if setting else dotted
    new = DataError(f"{where}: {err}")
    new.setting = None  # type: ignore[attr-defined]
    return new


@dataclass
class TrainingPlan:
    """What the training loop runs with, checked before any data is read."""

    settings: TrainingSchema
    train_reader: Reader
    dev_reader: Reader
    frozen: list[str]
    annotating: list[str]
    score_weights: dict[str, float | None]


def plan_training(
    nlp: Language, settings: TrainingSchema, corpora: Mapping[str, Any]
) -> TrainingPlan:
    """Check the resolved ``[training]`` against the pipeline it trains."""
    train_reader = get_corpus(corpora, settings.train_corpus, "training.train_corpus")
    dev_reader = get_corpus(corpora, settings.dev_corpus, "training.dev_corpus")
    frozen = check_component_names(nlp, settings.frozen_components, "training.frozen_components")
    annotating = check_component_names(
        nlp, settings.annotating_components, "training.annotating_components"
    )
    for key in ("optimizer", "batcher", "logger"):
        if getattr(settings, key) is None:
            raise ConfigError(f"training.{key} is not set: the config needs [training.{key}].")
    check_param_groups(nlp, settings.optimizer)
    weights = resolve_score_weights(nlp, settings.score_weights)
    return TrainingPlan(settings, train_reader, dev_reader, frozen, annotating, weights)


def resolve_score_weights(
    nlp: Language, configured: dict[str, float | None]
) -> dict[str, float | None]:
    """The components' default score weights, combined and normalized, with the
    config's ``[training.score_weights]`` over them (``null`` hides a score)."""
    defaults: list[dict[str, float | None]] = []
    for name in nlp.pipe_names:
        try:
            meta = nlp.get_pipe_meta(name)
        except PipelineError:  # a component added without a factory record
            continue
        if meta.default_score_weights:
            defaults.append(dict(meta.default_score_weights))
    weights = get_score_weights(defaults)
    weights.update(configured or {})
    return weights


@dataclass
class CheckedConfig:
    """A training config as ``train`` starts from it."""

    filled: Config
    interpolated: Config
    nlp: Language
    plan: TrainingPlan


def check_training_config(config: Mapping[str, Any], *, use_gpu: int = -1) -> CheckedConfig:
    """Everything ``train`` does at start-up before reading data: fill and validate,
    resolve ``[training]``/``[corpora]`` (calling their functions), seed, build the
    pipeline from ``[nlp]``/``[components]``, check the plan. Raises the error
    ``train`` would raise."""
    filled = fill_training_config(config)
    interpolated = _interpolated(filled)
    settings, corpora = resolve_training(interpolated)
    if use_gpu >= 0:
        require_gpu(use_gpu)
    if settings.seed is not None:
        # Before the pipeline is built: its weights are initialized from this seed.
        fix_random_seed(settings.seed)
    nlp = Language.from_config(interpolated)
    return CheckedConfig(filled, interpolated, nlp, plan_training(nlp, settings, corpora))


def check_component_names(nlp: Language, names: Iterable[str], key: str) -> list[str]:
    names = list(names)
    for name in names:
        if name not in nlp.component_names:
            raise ConfigError(
                f"{key} names {name!r}, which is not in the pipeline "
                f"({', '.join(nlp.component_names) or 'empty'})."
            )
    return names


def check_param_groups(nlp: Language, optimizer: Any) -> None:
    """Each ``param_groups`` entry must name a component (its first dotted part): a
    misspelt one would match no parameter and silently leave the defaults in force."""
    for group in getattr(optimizer, "param_groups", None) or []:
        component = group.split(".", 1)[0]
        if component in nlp.component_names:
            continue
        close = get_closest(component, nlp.component_names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"training.optimizer.param_groups.{group}: no component named {component!r} in "
            f"the pipeline ({', '.join(nlp.component_names) or 'empty'}).{hint}"
        )


def init_nlp(config: Mapping[str, Any], *, use_gpu: int = -1) -> Language:
    """Build and initialize the ``nlp`` a training config describes (see module doc)."""
    checked = check_training_config(config, use_gpu=use_gpu)
    nlp, plan, interpolated = checked.nlp, checked.plan, checked.interpolated
    sourced = [
        name
        for name, block in interpolated.get("components", {}).items()
        if isinstance(block, dict) and "source" in block and nlp.has_pipe(name)
    ]

    augmenter = reader_augmenter(plan.train_reader)

    def get_examples() -> Iterable[Example]:
        # Every pass augments alike, so the labels found don't depend on how many
        # passes the components make.
        if augmenter is not None:
            seed_augmenter(augmenter, stream_seed(plan.settings.seed, None))
        return read_corpus(plan.train_reader, nlp, plan.settings.train_corpus)

    keep = [n for n in dict.fromkeys([*plan.frozen, *sourced]) if n in nlp.pipe_names]
    with nlp.select_pipes(disable=keep) if keep else contextlib.nullcontext():
        nlp.initialize(get_examples)
    return nlp


def nlp_for_run(
    config: Config, output: Path | None, *, resume: bool, use_gpu: int = -1
) -> Language:
    """The ``nlp`` a training run starts from: initialized from ``config``, or, with
    ``resume``, read from ``output``'s model-last/ with ``config``'s training settings
    (today's overrides included) driving the rest of the run."""
    if not resume:
        return init_nlp(config, use_gpu=use_gpu)
    if output is None:
        raise ConfigError("--resume needs --output, the folder of the run to continue.")
    last = Path(output) / LAST_DIR
    if not has_training_state(last):
        raise ConfigError(
            f"Nothing to resume in {output}: no {LAST_DIR}/ with training state. "
            f"Start the run without --resume."
        )
    if use_gpu >= 0:
        require_gpu(use_gpu)
    nlp = load(last)
    filled = fill_training_config(config).interpolate()
    nlp.config = {k: v for k, v in filled.items() if k != "components"}
    return nlp


def _interpolated(config: Mapping[str, Any]) -> Config:
    cfg = config if isinstance(config, Config) else Config(config)
    return cfg.interpolate() if not cfg.is_interpolated else cfg


__all__ = [
    "CheckedConfig",
    "TrainingPlan",
    "check_component_names",
    "check_training_config",
    "plan_training",
    "resolve_score_weights",
    "fill_training_config",
    "get_corpus",
    "init_nlp",
    "nlp_for_run",
    "read_corpus",
    "resolve_training",
]
