"""The ``[nlp]`` section of a config: its defaults, its checks, and the registered
functions it names (the tokenizer and the three creation callbacks).

``Language.from_config`` reads the section with :func:`read_nlp_section` before it
creates anything, so a typo (``pipline``) or a pipeline name without its
``[components.<name>]`` block fails before a component is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from treadle.config import registry
from treadle.config.schemas import NlpSchema
from treadle.errors import ConfigError, ConfigValidationError
from treadle.util import get_closest

DEFAULT_TOKENIZER = "treadle.Tokenizer.v1"
DEFAULT_BATCH_SIZE = 1000
# The [nlp] keys that hold registered callbacks, in the order they run.
NLP_CALLBACKS = ("before_creation", "after_creation", "after_pipeline_creation")


def default_nlp_block(lang: str, batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, Any]:
    return {
        "lang": lang,
        "pipeline": [],
        "disabled": [],
        "batch_size": batch_size,
        **{key: None for key in NLP_CALLBACKS},
        "tokenizer": {"@tokenizers": DEFAULT_TOKENIZER},
    }


@dataclass
class NlpSection:
    """``[nlp]`` read and checked, its registered functions built."""

    lang: str
    settings: dict[str, Any]  # the block as written, defaults filled in
    pipeline: list[str]
    disabled: list[str]
    batch_size: int
    create_tokenizer: Callable[..., Any] | None
    before_creation: Callable[..., Any] | None
    after_creation: Callable[..., Any] | None
    after_pipeline_creation: Callable[..., Any] | None


def read_nlp_section(
    config: Mapping[str, Any], *, auto_fill: bool = True, validate: bool = True
) -> NlpSection:
    """The ``[nlp]`` section of an interpolated ``config``, checked against its
    ``[components]``: every pipeline name needs a block, except those in ``exclude``
    (checked by the caller, which knows them)."""
    if "nlp" not in config or not isinstance(config["nlp"], dict):
        raise ConfigError("The config has no [nlp] section.")
    nlp_cfg = dict(config["nlp"])
    lang = nlp_cfg.get("lang")
    if not isinstance(lang, str) or not lang:
        raise ConfigError(f"nlp.lang must be a language code such as 'en', got {lang!r}.")
    if auto_fill:
        defaults = default_nlp_block(lang)
        nlp_cfg = {**defaults, **nlp_cfg}
        if not isinstance(nlp_cfg.get("tokenizer"), dict):
            nlp_cfg["tokenizer"] = defaults["tokenizer"]
    if validate:
        check_nlp_keys(nlp_cfg)
    for key in ("pipeline", "disabled"):
        if not isinstance(nlp_cfg.get(key, []), list):
            raise ConfigError(f"nlp.{key} must be a list of component names.")
    functions = {
        k: nlp_cfg[k] for k in ("tokenizer", *NLP_CALLBACKS) if nlp_cfg.get(k) is not None
    }
    built = registry.resolve_at("nlp", functions, validate=validate)
    for key, value in built.items():
        # A block without its @ line (a "[nlp.tokenizer]" that lost "@tokenizers")
        # resolves to a plain dict, which would fail later when it is called.
        if not callable(value):
            raise ConfigError(
                f"nlp.{key} must name a registered function (an '@tokenizers' or "
                f"'@callbacks' line), got {value!r:.80}."
            )
    batch_size = nlp_cfg.get("batch_size", DEFAULT_BATCH_SIZE)
    return NlpSection(
        lang=lang,
        settings=nlp_cfg,
        pipeline=list(nlp_cfg.get("pipeline", [])),
        disabled=list(nlp_cfg.get("disabled", [])),
        batch_size=batch_size if isinstance(batch_size, int) else DEFAULT_BATCH_SIZE,
        create_tokenizer=built.get("tokenizer"),
        before_creation=built.get("before_creation"),
        after_creation=built.get("after_creation"),
        after_pipeline_creation=built.get("after_pipeline_creation"),
    )


def check_nlp_keys(nlp_cfg: Mapping[str, Any]) -> None:
    """Unknown [nlp] keys are typos (``pipline``) that would otherwise be ignored."""
    known = set(NlpSchema.model_fields)
    errors = []
    for key in nlp_cfg:
        if key not in known:
            close = get_closest(key, known, n=3)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            errors.append({"loc": ["nlp", key], "msg": f"unknown setting{hint}"})
    if errors:
        raise ConfigValidationError(errors, title="Config validation error in [nlp]")
