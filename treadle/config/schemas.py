"""Schemas of the plain (non-function) top-level sections of a training config.

``registry.resolve`` and ``registry.fill`` validate a config's ``[training]``,
``[nlp]``, ``[initialize]``, ``[pretraining]``, ``[system]``, ``[paths]`` and
``[corpora]`` sections against these models. Every field has the default written in
``treadle/default_config.cfg``, so a partial config validates; an unknown key in a
strict section is an error naming it.

Later stages consume these models directly, e.g. the training loop does
``TrainingSchema.model_validate(resolved["training"])`` to read typed settings.
Values that come from registered functions (batcher, optimizer, logger, callbacks)
are typed loosely: their own function validated them already.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
_OPEN = ConfigDict(extra="allow", arbitrary_types_allowed=True)

OptionalCallable = Callable[..., Any] | None


class TrainingSchema(BaseModel):
    """``[training]``: the training loop's settings."""

    model_config = _STRICT

    seed: int | None = 0
    gpu_allocator: str | None = None
    dropout: float = Field(0.1, ge=0.0, le=1.0)
    accumulate_gradient: int = Field(1, ge=1)
    patience: int = Field(1600, ge=0)
    max_epochs: int = 0
    max_steps: int = Field(20000, ge=0)
    eval_frequency: int = Field(200, ge=1)
    frozen_components: list[str] = Field(default_factory=list)
    annotating_components: list[str] = Field(default_factory=list)
    before_to_disk: OptionalCallable = None
    before_update: OptionalCallable = None
    dev_corpus: str = "corpora.dev"
    train_corpus: str = "corpora.train"
    batcher: Any = None
    optimizer: Any = None
    logger: Any = None
    score_weights: dict[str, float | None] = Field(default_factory=dict)


class NlpSchema(BaseModel):
    """``[nlp]``: how the ``nlp`` object is assembled."""

    model_config = _STRICT

    lang: str | None = None
    pipeline: list[str] = Field(default_factory=list)
    disabled: list[str] = Field(default_factory=list)
    before_creation: OptionalCallable = None
    after_creation: OptionalCallable = None
    after_pipeline_creation: OptionalCallable = None
    batch_size: int = Field(1000, ge=1)
    tokenizer: Any = None
    vectors: Any = None


class InitializeSchema(BaseModel):
    """``[initialize]``: what ``nlp.initialize()`` reads before training."""

    model_config = _STRICT

    vectors: str | None = None
    init_tok2vec: str | None = None
    vocab_data: str | None = None
    lookups: Any = None
    before_init: OptionalCallable = None
    after_init: OptionalCallable = None
    components: dict[str, Any] = Field(default_factory=dict)
    tokenizer: dict[str, Any] = Field(default_factory=dict)


class PretrainingSchema(BaseModel):
    """``[pretraining]``: settings of ``treadle pretrain``."""

    model_config = _STRICT

    max_epochs: int = Field(1000, ge=1)
    dropout: float = Field(0.2, ge=0.0, le=1.0)
    n_save_every: int | None = None
    n_save_epoch: int | None = None
    component: str = "tok2vec"
    layer: str = ""
    corpus: str = "corpora.pretrain"
    batcher: Any = None
    objective: Any = None
    optimizer: Any = None


class SystemSchema(BaseModel):
    """``[system]``: hardware and randomness."""

    model_config = _OPEN

    seed: int | None = 0
    gpu_allocator: str | None = None


class PathsSchema(BaseModel):
    """``[paths]``: free-form paths, referenced elsewhere as ``${paths.x}``."""

    model_config = _OPEN


class CorporaSchema(BaseModel):
    """``[corpora]``: named corpus readers; any names are allowed."""

    model_config = _OPEN


SECTION_SCHEMAS: dict[str, type[BaseModel]] = {
    "training": TrainingSchema,
    "nlp": NlpSchema,
    "initialize": InitializeSchema,
    "pretraining": PretrainingSchema,
    "system": SystemSchema,
    "paths": PathsSchema,
    "corpora": CorporaSchema,
}
"""Schemas applied automatically to these top-level sections by resolve and fill."""


__all__ = [
    "TrainingSchema",
    "NlpSchema",
    "InitializeSchema",
    "PretrainingSchema",
    "SystemSchema",
    "PathsSchema",
    "CorporaSchema",
    "SECTION_SCHEMAS",
]
