"""Build a starter training config from a few choices (``treadle init config``).

The template is plain Python: one builder function per component in
``COMPONENT_TEMPLATES`` returns that component's ``[components.<name>]`` block, given a
``TemplateContext`` that knows the size settings (efficiency or accuracy), the hardware
and whether a shared ``tok2vec`` component is in the pipeline. A later component
(parser, ner, morphologizer, ...) is supported by adding one entry to the dict.

With ``transformer=NAME`` (``init config --optimize accuracy`` when the transformers
extra is installed) a ``transformer`` component running that Hugging Face model comes
first instead, every component embeds tokens through a ``TransformerListener.v1`` of
it, and the training block gets the learn rate schedule and batch sizes transformers
are usually fine-tuned with.

The starter config is then *filled*: every factory setting and every registered
function's default is written in, so the file a user trains with has no hidden
defaults.
"""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import treadle
from treadle.config import Config, registry
from treadle.errors import ConfigError
from treadle.language import Language
from treadle.scoring import get_score_weights

OPTIMIZE_CHOICES = ("efficiency", "accuracy")

# The token encoder's size per optimization goal. Efficiency: narrow and shallow, small
# hash tables (fast on CPU); accuracy: wider, deeper, bigger tables.
TOK2VEC_SIZES: dict[str, dict[str, Any]] = {
    "efficiency": {
        "width": 96,
        "depth": 4,
        "window_size": 1,
        "maxout_pieces": 3,
        "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
        "rows": [5000, 1000, 2500, 2500],
    },
    # Measured on EWT tagger+parser, 2,000 steps (TAG / LAS on dev): this encoder with a
    # character CNN 92.91 / 78.47, without it 92.88 / 78.27; a 2-layer BiLSTM
    # (treadle.BiLSTMEncoder.v1) of the same width 92.56 / 77.85 with the characters.
    "accuracy": {
        "width": 256,
        "depth": 8,
        "window_size": 1,
        "maxout_pieces": 3,
        "char_width": 64,
        "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
        "rows": [10000, 2000, 5000, 5000],
    },
}

# Batch sizes in words (compounding from start to stop): a GPU wants bigger batches.
BATCH_SIZES: dict[str, dict[str, Any]] = {
    "cpu": {"start": 100, "stop": 1000, "compound": 1.001},
    "gpu": {"start": 500, "stop": 4000, "compound": 1.001},
}

# Word-based batches for fine-tuning a transformer: smaller than the CNN's, since
# every word costs a full transformer pass (and its activations) in the update.
TRANSFORMER_BATCH_SIZES: dict[str, dict[str, Any]] = {
    "cpu": {"start": 100, "stop": 500, "compound": 1.001},
    "gpu": {"start": 250, "stop": 1000, "compound": 1.001},
}
# The usual fine-tuning schedule: warm up to a small rate, then decay linearly to 0
# at the last step. total_steps follows training.max_steps.
TRANSFORMER_LEARN_RATE: dict[str, Any] = {
    "@schedules": "warmup_linear.v1",
    "initial_rate": 5e-5,
    "warmup_steps": 250,
    "total_steps": "${training.max_steps}",
}
# Well-known base models per language; others get the multilingual BERT.
DEFAULT_TRANSFORMERS: dict[str, str] = {"en": "roberta-base"}
MULTILINGUAL_TRANSFORMER = "bert-base-multilingual-cased"
TRANSFORMER = "transformer"

# training.dropout of a starter config whose only trained component is a ner.
NER_DROPOUT = 0.25

SHARED_TOK2VEC = "tok2vec"
WIDTH_REF = "${components.tok2vec.model.encode.width}"


@dataclass
class TemplateContext:
    """What a component's block builder may ask about the config being made."""

    lang: str
    pipeline: list[str]
    optimize: str
    gpu: bool
    shared_tok2vec: bool
    transformer: str | None = None  # the Hugging Face model all components listen to
    static_vectors: bool = False  # CNN encoders concatenate the [initialize] vectors

    @property
    def sizes(self) -> dict[str, Any]:
        return TOK2VEC_SIZES[self.optimize]

    def tok2vec_model(self, *, inline_width: int | None = None) -> dict[str, Any]:
        """The encoder a component's model takes as ``tok2vec``: a listener of the
        shared ``tok2vec`` component when there is one, else its own encoder; with a
        transformer, a listener of the ``transformer`` component."""
        if self.transformer is not None:
            return {
                "@architectures": "treadle.TransformerListener.v1",
                "grad_factor": 1.0,
                "upstream": TRANSFORMER,
            }
        if self.shared_tok2vec:
            return {
                "@architectures": "treadle.Tok2VecListener.v1",
                "width": WIDTH_REF,
                "upstream": SHARED_TOK2VEC,
            }
        return encoder_block(self.sizes, width=inline_width, static_vectors=self.static_vectors)


def transformers_available() -> bool:
    """Whether the ``transformers`` extra is installed (found, not imported)."""
    return importlib.util.find_spec("transformers") is not None


def default_transformer(lang: str) -> str:
    """The Hugging Face model a transformer starter config uses unless told otherwise."""
    return DEFAULT_TRANSFORMERS.get(lang.strip().lower(), MULTILINGUAL_TRANSFORMER)


def transformer_block(name: str) -> dict[str, Any]:
    """The ``transformer`` component running the model ``name`` (hub name or folder)
    over strided windows of each Doc."""
    return {
        "factory": "transformer",
        "model": {
            "@architectures": "treadle.TransformerModel.v1",
            "name": name,
            "get_spans": {"@span_getters": "treadle.strided_spans.v1", "window": 128, "stride": 96},
        },
    }


def encoder_block(
    sizes: Mapping[str, Any], *, width: int | str | None = None, static_vectors: bool = False
) -> dict[str, Any]:
    """An encoder block of the given sizes: hash embeddings (+ static vectors, + a
    character CNN with ``char_width``), then a maxout window CNN."""
    w = sizes["width"] if width is None else width
    embed: dict[str, Any] = {
        "@architectures": "treadle.MultiHashEmbed.v2",
        "width": w,
        "attrs": list(sizes["attrs"]),
        "rows": list(sizes["rows"]),
        "include_static_vectors": static_vectors,
    }
    if "char_width" in sizes:
        embed = {**embed, "@architectures": "treadle.CharacterEmbed.v2", "char_width": sizes["char_width"]}
    encode = {
        "@architectures": "treadle.MaxoutWindowEncoder.v1",
        "width": w,
        "depth": sizes["depth"],
        "window_size": sizes["window_size"],
        "maxout_pieces": sizes["maxout_pieces"],
    }
    return {"@architectures": "treadle.Tok2Vec.v1", "embed": embed, "encode": encode}


@dataclass
class ComponentTemplate:
    """How ``init config`` writes one component.

    ``build(ctx)`` returns the ``[components.<name>]`` block (factory + the settings
    worth recommending; the factory's defaults fill the rest). ``uses_tok2vec(optimize)``
    says whether that block embeds tokens with a tok2vec, so the template can decide to
    share one encoder between components.
    """

    build: Callable[[TemplateContext], dict[str, Any]]
    uses_tok2vec: Callable[[str], bool] = field(default=lambda optimize: True)
    description: str = ""


def _tok2vec_block(ctx: TemplateContext) -> dict[str, Any]:
    sizes = ctx.sizes
    block = encoder_block(sizes, width=WIDTH_REF, static_vectors=ctx.static_vectors)
    block["encode"]["width"] = sizes["width"]
    return {"factory": "tok2vec", "model": block}


def _tagger_block(ctx: TemplateContext) -> dict[str, Any]:
    return {
        "factory": "tagger",
        "model": {"@architectures": "treadle.Tagger.v1", "tok2vec": ctx.tok2vec_model()},
    }


def _bow_block(exclusive: bool) -> dict[str, Any]:
    # Bigrams: +2 points on SST-2 and TREC dev over unigrams at about the same speed
    # (benchmarks/textcat.py, --set components.textcat.model.ngram_size=1 vs 2).
    # Edge markers: +1.0-1.2 on TREC dev over three seeds (a question's first words
    # carry its type), no change on SST-2.
    return {
        "@architectures": "treadle.TextCatBOW.v1",
        "exclusive_classes": exclusive,
        "ngram_size": 2,
        "no_output_layer": False,
        "mark_edges": True,
    }


def _textcat_model(ctx: TemplateContext, exclusive: bool) -> dict[str, Any]:
    if ctx.optimize == "efficiency":
        # Bag of words: no token encoder at all, the fastest sensible classifier.
        return _bow_block(exclusive)
    return {
        "@architectures": "treadle.TextCatEnsemble.v1",
        "tok2vec": ctx.tok2vec_model(),
        "linear_model": _bow_block(exclusive),
    }


def _textcat_block(ctx: TemplateContext) -> dict[str, Any]:
    return {"factory": "textcat", "model": _textcat_model(ctx, exclusive=True)}


def _textcat_multilabel_block(ctx: TemplateContext) -> dict[str, Any]:
    return {"factory": "textcat_multilabel", "model": _textcat_model(ctx, exclusive=False)}


COMPONENT_TEMPLATES: dict[str, ComponentTemplate] = {
    "tok2vec": ComponentTemplate(
        build=_tok2vec_block,
        uses_tok2vec=lambda optimize: False,
        description="shared token encoder (listened to by later components)",
    ),
    "tagger": ComponentTemplate(build=_tagger_block, description="part-of-speech tags"),
    "textcat": ComponentTemplate(
        build=_textcat_block,
        uses_tok2vec=lambda optimize: optimize != "efficiency",
        description="text classification, one class per text",
    ),
    "textcat_multilabel": ComponentTemplate(
        build=_textcat_multilabel_block,
        uses_tok2vec=lambda optimize: optimize != "efficiency",
        description="text classification, any number of classes per text",
    ),
    "ner": ComponentTemplate(
        build=lambda ctx: {
            "factory": "ner",
            "model": {
                "@architectures": "treadle.TransitionBasedParser.v1",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 64,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": ctx.tok2vec_model(),
            },
        },
        description="named entities (transition-based, BILUO moves)",
    ),
    # Same model shape as the tagger (treadle.Tagger.v1 on the shared encoder).
    "morphologizer": ComponentTemplate(
        build=lambda ctx: {**_tagger_block(ctx), "factory": "morphologizer"},
        description="universal POS and morphological features",
    ),
    "senter": ComponentTemplate(
        build=lambda ctx: {**_tagger_block(ctx), "factory": "senter"},
        description="sentence boundaries (trainable)",
    ),
    # Scores edit trees per token: the tagger's model shape over tree ids.
    "trainable_lemmatizer": ComponentTemplate(
        build=lambda ctx: {**_tagger_block(ctx), "factory": "trainable_lemmatizer"},
        description="lemmas, by predicting an edit tree per token",
    ),
    # Rule-based: no model, so no tok2vec; patterns go in [initialize.components.<name>].
    "entity_ruler": ComponentTemplate(
        build=lambda ctx: {"factory": "entity_ruler"},
        uses_tok2vec=lambda optimize: False,
        description="named entities from token and phrase patterns",
    ),
    "span_ruler": ComponentTemplate(
        build=lambda ctx: {"factory": "span_ruler"},
        uses_tok2vec=lambda optimize: False,
        description="span groups (doc.spans) from token and phrase patterns",
    ),
    "attribute_ruler": ComponentTemplate(
        build=lambda ctx: {"factory": "attribute_ruler"},
        uses_tok2vec=lambda optimize: False,
        description="token attributes (POS, lemma, ...) set by token patterns",
    ),
    "parser": ComponentTemplate(
        build=lambda ctx: {
            "factory": "parser",
            "model": {
                "@architectures": "treadle.TransitionBasedParser.v1",
                "state_type": "parser",
                "extra_state_tokens": False,
                "hidden_width": 64 if ctx.optimize == "efficiency" else 128,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": ctx.tok2vec_model(),
            },
        },
        description="labelled dependencies and sentence boundaries (arc-eager)",
    ),
}
"""Component name -> how to write its block. Add an entry to support a component."""


def _parse_pipeline(pipeline: str | Iterable[str]) -> list[str]:
    if isinstance(pipeline, str):
        names = [p.strip() for p in pipeline.split(",")]
    else:
        names = [str(p).strip() for p in pipeline]
    names = [n for n in names if n]
    if not names:
        raise ConfigError(
            "--pipeline: name at least one component, e.g. --pipeline tagger,textcat "
            f"(known: {', '.join(COMPONENT_TEMPLATES)})."
        )
    unknown = [n for n in names if n not in COMPONENT_TEMPLATES]
    if unknown:
        raise ConfigError(
            f"--pipeline: no template for component(s) {', '.join(map(repr, unknown))}. "
            f"Known components: {', '.join(COMPONENT_TEMPLATES)}."
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"--pipeline: component(s) named twice: {', '.join(dupes)}.")
    return names


def build_starter_config(
    lang: str,
    pipeline: str | Iterable[str],
    *,
    optimize: str = "efficiency",
    gpu: bool = False,
    pretraining: bool = False,
    transformer: str | None = None,
    vectors: str | None = None,
) -> Config:
    """The starter config (uninterpolated, not yet filled) for these choices;
    ``transformer`` (a Hugging Face model name or folder, accuracy only) replaces the
    CNN encoder. ``vectors`` (a folder from ``init vectors``) sets ``paths.vectors``,
    and the accuracy CNN encoder then uses them as features."""
    if not isinstance(lang, str) or not lang.strip():
        raise ConfigError("--lang: give a language code, e.g. 'en'.")
    if optimize not in OPTIMIZE_CHOICES:
        raise ConfigError(
            f"--optimize must be one of {', '.join(OPTIMIZE_CHOICES)}, got {optimize!r}."
        )
    names = _parse_pipeline(pipeline)
    users = [n for n in names if COMPONENT_TEMPLATES[n].uses_tok2vec(optimize)]
    if transformer is not None:
        _check_transformer_choice(transformer, optimize, names)
        if vectors is not None:
            raise ConfigError(
                "--vectors goes with the CNN encoder, not a transformer (the transformer "
                "embeds words itself); leave out --transformer."
            )
        if not users:  # nothing would listen to it
            transformer = None
    if transformer is not None:
        shared = False
        names = [TRANSFORMER, *names]
    else:
        # One encoder shared through listeners pays off once two components need one
        # (or when the user asked for a tok2vec component explicitly).
        shared = SHARED_TOK2VEC in names or len(users) >= 2
        if shared:
            names = [SHARED_TOK2VEC] + [n for n in names if n != SHARED_TOK2VEC]
    ctx = TemplateContext(
        lang=lang.strip(),
        pipeline=names,
        optimize=optimize,
        gpu=gpu,
        shared_tok2vec=shared,
        transformer=transformer,
        # Efficiency configs stay small and fast: the table is loaded (for similarity)
        # but only the accuracy encoder reads it as a feature.
        static_vectors=vectors is not None and optimize == "accuracy" and transformer is None,
    )
    components = {
        name: transformer_block(transformer)
        if transformer is not None and name == TRANSFORMER
        else COMPONENT_TEMPLATES[name].build(ctx)
        for name in names
    }
    hardware = "gpu" if gpu else "cpu"
    batch = (TRANSFORMER_BATCH_SIZES if transformer is not None else BATCH_SIZES)[hardware]
    data: dict[str, Any] = {
        "paths": {"train": None, "dev": None, "vectors": vectors, "init_tok2vec": None},
        "system": {"gpu_allocator": "pytorch" if gpu else None, "seed": 0},
        "nlp": {"lang": ctx.lang, "pipeline": names, "batch_size": 1000},
        "components": components,
        "corpora": {
            "train": {"@readers": "treadle.Corpus.v1", "path": "${paths.train}"},
            "dev": {"@readers": "treadle.Corpus.v1", "path": "${paths.dev}"},
        },
        "training": {
            "batcher": {
                "@batchers": "treadle.batch_by_words.v1",
                "size": {"@schedules": "compounding.v1", **batch},
            },
        },
    }
    if users == ["ner"] and transformer is None:
        # A ner alone overfits UNER at the default 0.1: dev F peaked at 58.8 after 3
        # epochs and fell to 57.4 by epoch 7; at 0.25 it reached 60.1 and stayed there
        # (0.4 learned too slowly). With a tagger or parser beside it, 0.25 cost
        # 1.4 LAS at 2,000 steps, so mixed pipelines keep 0.1.
        data["training"]["dropout"] = NER_DROPOUT
    if transformer is not None:
        # No weight averages: they would keep a second copy of every transformer weight.
        data["training"]["optimizer"] = {
            "learn_rate": dict(TRANSFORMER_LEARN_RATE),
            "use_averages": False,
        }
    return _default_config(pretraining).merge(Config(data, is_interpolated=False))


def _check_transformer_choice(transformer: str, optimize: str, names: list[str]) -> None:
    if not isinstance(transformer, str) or not transformer.strip():
        raise ConfigError("--transformer: give a Hugging Face model name or folder.")
    if optimize != "accuracy":
        raise ConfigError("--transformer goes with --optimize accuracy.")
    for clash in (SHARED_TOK2VEC, TRANSFORMER):
        if clash in names:
            raise ConfigError(
                f"--pipeline: {clash!r} with a transformer: the transformer component is "
                "the pipeline's encoder; leave it out."
            )


def _default_config(pretraining: bool) -> Config:
    """treadle's default training config (uninterpolated), the base of every template."""
    root = Path(__file__).resolve().parent.parent.parent
    config = Config().from_disk(root / "default_config.cfg", interpolate=False)
    if pretraining:
        extra = Config().from_disk(root / "default_config_pretraining.cfg", interpolate=False)
        config = config.merge(extra)
    return config


def _merge_settings(filled: Mapping[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """Template values win (they keep their ``${...}`` references); keys only the
    filled block has are added. A nested function block of a different function is
    taken from the template as a whole."""
    out = copy.deepcopy(dict(template))
    for key, value in filled.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(out[key], dict) and isinstance(value, Mapping):
            fn = next((k for k in out[key] if k.startswith("@")), None)
            if fn is None or value.get(fn) == out[key].get(fn):
                out[key] = _merge_settings(value, out[key])
    return out


def _score_weights(config: Mapping[str, Any]) -> dict[str, float | None]:
    per_component = []
    for name in config["nlp"]["pipeline"]:
        factory = config["components"][name].get("factory")
        if factory is None:
            continue
        per_component.append(Language.get_factory_meta(factory).default_score_weights)
    return get_score_weights(per_component)


def fill_starter_config(config: Config) -> Config:
    """Write in every factory setting and function default, and the score weights.

    The pipeline is assembled once from the config, which both collects each
    factory's defaults and proves the template builds. Not with a transformer: that
    would load (or download) the model to write a file; ``registry.fill`` writes the
    factories' defaults in all the same.
    """
    config = config.copy()
    factories = [block.get("factory") for block in config["components"].values()]
    if "transformer" not in factories:
        nlp = Language.from_config(
            config.interpolate() if not config.is_interpolated else config
        )
        built = nlp.config["components"]
        for name, block in config["components"].items():
            config["components"][name] = _merge_settings(built[name], block)
    weights = _score_weights(config)
    if weights:
        config["training"]["score_weights"] = weights
    return registry.fill(config, validate=True)


def starter_config_header(
    lang: str,
    pipeline: list[str],
    *,
    optimize: str,
    gpu: bool,
    pretraining: bool,
    transformer: str | None = None,
    vectors: str | None = None,
) -> str:
    """Comment lines saying how a starter config was made."""
    command = (
        f"treadle init config OUT --lang {lang} --pipeline {','.join(pipeline)} "
        f"--optimize {optimize}"
        + (f" --transformer {transformer}" if transformer else "")
        + (f" --vectors {vectors}" if vectors else "")
        + (" --gpu" if gpu else "")
        + (" --pretraining" if pretraining else "")
    )
    encoder = f", transformer={transformer}" if transformer else ""
    return (
        f"# Starter config made by treadle {treadle.__version__}:\n"
        f"#   {command}\n"
        f"# lang={lang}, pipeline={','.join(pipeline)}, optimize={optimize}{encoder}, "
        f"hardware={'gpu' if gpu else 'cpu'}.\n"
        "# Set paths.train and paths.dev to .docbin files (or pass --paths.train and\n"
        "# --paths.dev to `treadle train`). Every setting is written out: nothing is a\n"
        "# hidden default.\n\n"
    )


def make_starter_config(
    lang: str,
    pipeline: str | Iterable[str],
    *,
    optimize: str = "efficiency",
    gpu: bool = False,
    pretraining: bool = False,
    transformer: str | None = None,
    vectors: str | None = None,
) -> tuple[Config, str]:
    """The filled starter config and its header comment."""
    config = build_starter_config(
        lang, pipeline, optimize=optimize, gpu=gpu, pretraining=pretraining,
        transformer=transformer, vectors=vectors,
    )  # fmt: skip
    filled = fill_starter_config(config)
    header = starter_config_header(
        config["nlp"]["lang"],
        _parse_pipeline(pipeline),
        optimize=optimize,
        gpu=gpu,
        pretraining=pretraining,
        transformer=transformer,
        vectors=vectors,
    )
    return filled, header
