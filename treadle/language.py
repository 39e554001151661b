"""The ``nlp`` object: a tokenizer followed by a pipeline of components.

``Language`` assembles the pipeline (``add_pipe`` and friends, or ``from_config``),
runs it (``__call__``, the lazy batched ``pipe``), trains it one batch at a time
(``update``) and evaluates it. Components are created by *factories* registered with
``@Language.factory`` (treadle/pipeline/factories.py); ``Language`` builds each one by
resolving an ``@factories`` block with the config engine, so a component's settings
are filled, coerced and validated exactly as any other section's, and end up in
``nlp.config``: a saved pipeline is rebuilt from its ``config.cfg`` alone, then has its
saved state read back (treadle/serialization.py). Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from treadle import __version__, serialization, train_step
from treadle.config import Config, registry
from treadle.config.resolve import FACTORY_CATEGORY
from treadle.errors import ConfigError, DataError, PipelineError
from treadle.lang.data import LanguageData, get_language_data, make_vocab
from treadle.ml.optimizers import Optimizer
from treadle.ml.pretrained_weights import find_layer, load_weights
from treadle.multiprocess import pipe_in_processes, resolve_n_process
from treadle.nlp_config import DEFAULT_TOKENIZER, default_nlp_block, read_nlp_section
from treadle.pipeline import factories
from treadle.pipeline.factories import FactoryMeta
from treadle.scoring import evaluate
from treadle.tokens import Doc, Vocab
from treadle.tokens.example import Example
from treadle.util import batched, ensure_path, get_closest

CONFIG_FILE = serialization.CONFIG_FILE
META_FILE = serialization.META_FILE


class Language:
    """A text-processing pipeline: ``doc = nlp(text)``.

    ``lang`` picks the language data (tokenizer rules, stop words, lexical attribute
    functions); any code works, unknown ones get the generic base. A subclass may set
    the class attributes ``lang`` and ``Defaults`` (a language-data object) instead.
    """

    lang: str = "xx"
    # Language data a subclass carries (``from_config`` makes one per lang so that a
    # ``before_creation`` callback can edit ``cls.Defaults`` without touching others).
    Defaults: LanguageData | None = None

    def __init__(
        self,
        vocab: Vocab | None = None,
        *,
        lang: str | None = None,
        tokenizer: Callable[[str], Doc] | None = None,
        create_tokenizer: Callable[[Language], Callable[[str], Doc]] | None = None,
        meta: Mapping[str, Any] | None = None,
        max_length: int = 1_000_000,
        batch_size: int = 1000,
    ) -> None:
        cls = type(self)
        self.lang = lang or getattr(vocab, "lang", None) or cls.lang
        if cls.Defaults is not None and cls.lang == self.lang:
            self.lang_data = cls.Defaults
        else:
            self.lang_data = get_language_data(self.lang)
        self.vocab = vocab if vocab is not None else _make_vocab(self.lang, self.lang_data)
        self._meta: dict[str, Any] = dict(meta or {})
        self.max_length = max_length
        self.batch_size = batch_size
        self._components: list[tuple[str, Any]] = []
        self._disabled: set[str] = set()
        self._pipe_configs: dict[str, dict[str, Any]] = {}
        self._pipe_meta: dict[str, FactoryMeta] = {}
        # Sections of the config that are not rebuilt from the pipeline ([training],
        # [paths], ...) and the [nlp] block as given; ``config`` fills in the rest.
        self._config: dict[str, Any] = {"nlp": default_nlp_block(self.lang, batch_size)}
        if tokenizer is None:
            if create_tokenizer is None:
                create_tokenizer = registry.tokenizers.get(DEFAULT_TOKENIZER)()
            tokenizer = create_tokenizer(self)
        self.tokenizer = tokenizer

    def __repr__(self) -> str:
        return f"<treadle.Language lang={self.lang!r} pipeline={self.pipe_names}>"

    # Registration lives in treadle/pipeline/factories.py; these aliases keep the
    # familiar spelling (``@Language.factory(...)``) for user code.
    factory = staticmethod(factories.factory)
    component = staticmethod(factories.component)
    has_factory = staticmethod(factories.has_factory)
    get_factory_meta = staticmethod(factories.get_factory_meta)

    # ------------------------------------------------------------------ the pipeline

    @property
    def components(self) -> list[tuple[str, Any]]:
        """All components, disabled ones included, as (name, component) pairs."""
        return list(self._components)

    @property
    def component_names(self) -> list[str]:
        return [name for name, _ in self._components]

    @property
    def pipeline(self) -> list[tuple[str, Any]]:
        """The enabled components, in order, as (name, component) pairs."""
        return [(n, c) for n, c in self._components if n not in self._disabled]

    @property
    def pipe_names(self) -> list[str]:
        """Names of the enabled components, in order."""
        return [n for n, _ in self._components if n not in self._disabled]

    @property
    def disabled(self) -> list[str]:
        """Names of the disabled components, in pipeline order."""
        return [n for n, _ in self._components if n in self._disabled]

    @property
    def pipe_factories(self) -> dict[str, str]:
        return {n: self._pipe_configs[n]["factory"] for n in self.component_names}

    @property
    def pipe_labels(self) -> dict[str, list[str]]:
        labels = {}
        for name, comp in self._components:
            comp_labels = getattr(comp, "labels", None)
            if comp_labels is not None and not callable(comp_labels):
                labels[name] = list(comp_labels)
        return labels

    def has_pipe(self, name: str) -> bool:
        return name in self.component_names

    def get_pipe(self, name: str) -> Any:
        for comp_name, comp in self._components:
            if comp_name == name:
                return comp
        raise self._no_such_component(name)

    def get_pipe_meta(self, name: str) -> FactoryMeta:
        if name not in self._pipe_meta:
            raise self._no_such_component(name)
        return self._pipe_meta[name]

    def get_pipe_config(self, name: str) -> dict[str, Any]:
        if name not in self._pipe_configs:
            raise self._no_such_component(name)
        return copy.deepcopy(self._pipe_configs[name])

    def _no_such_component(self, name: str) -> PipelineError:
        names = self.component_names
        close = get_closest(str(name), names)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return PipelineError(
            f"No component named {name!r} in the pipeline.{hint} "
            f"Components: {', '.join(names) or '(none)'}."
        )

    def create_pipe(
        self,
        factory_name: str,
        name: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> Any:
        """Create a component from a factory without adding it to the pipeline."""
        component, _ = self._create_pipe(factory_name, name or factory_name, config, validate)
        return component

    def _create_pipe(
        self,
        factory_name: str,
        name: str,
        config: Mapping[str, Any] | None,
        validate: bool,
    ) -> tuple[Any, dict[str, Any]]:
        _check_factory_name(factory_name)
        if config is not None and not isinstance(config, Mapping):
            raise PipelineError(
                f"The config for component {name!r} must be a dict, got {type(config).__name__}."
            )
        self.get_factory_meta(factory_name)  # an unknown name gets the full error here
        user_cfg = dict(config or {})
        if "factory" in user_cfg and user_cfg["factory"] != factory_name:
            raise PipelineError(
                f"Component {name!r}: config says factory {user_cfg['factory']!r} but "
                f"factory {factory_name!r} was asked for."
            )
        user_cfg.pop("factory", None)
        block = {"factory": factory_name, **user_cfg}
        filled = registry.fill({"components": {name: block}}, validate=False)
        settings = {k: v for k, v in filled["components"][name].items() if k != "factory"}
        call = {f"@{FACTORY_CATEGORY}": factory_name, "nlp": self, "name": name, **settings}
        with factories.building_component_for(self, name):
            component = registry.resolve_at(f"components.{name}", call, validate=validate)
        if component is None or not callable(component):
            raise PipelineError(
                f"Factory {factory_name!r} for component {name!r} returned {component!r}, "
                f"not a callable component."
            )
        return component, {"factory": factory_name, **settings}

    def add_pipe(
        self,
        factory_name: str,
        name: str | None = None,
        *,
        before: str | int | None = None,
        after: str | int | None = None,
        first: bool | None = None,
        last: bool | None = None,
        config: Mapping[str, Any] | None = None,
        source: Language | None = None,
        validate: bool = True,
    ) -> Any:
        """Create a component with a factory (or copy it from ``source``, another
        ``nlp`` whose component named ``factory_name`` is taken) and add it to the
        pipeline; returns the component. Position: at most one of before/after/first/
        last; by default, last."""
        _check_factory_name(factory_name)
        name = name if name is not None else factory_name
        check_component_name(name)
        if name in self.component_names:
            raise PipelineError(
                f"A component named {name!r} is already in the pipeline "
                f"({', '.join(self.component_names)}). Pass another name with name=..."
            )
        index = self._get_pipe_index(before=before, after=after, first=first, last=last)
        if source is not None:
            component, pipe_config, meta = self._copy_from_source(
                source, factory_name, name, config
            )
        else:
            component, pipe_config = self._create_pipe(factory_name, name, config, validate)
            meta = self.get_factory_meta(pipe_config["factory"])
        self._components.insert(index, (name, component))
        self._pipe_configs[name] = pipe_config
        self._pipe_meta[name] = meta
        return component

    def _copy_from_source(
        self,
        source: Language,
        source_name: str,
        name: str,
        config: Mapping[str, Any] | None,
    ) -> tuple[Any, dict[str, Any], FactoryMeta]:
        if not isinstance(source, Language):
            raise PipelineError(
                f"add_pipe(source=...) for component {name!r} expects a Language object, got "
                f"{type(source).__name__}. Load the pipeline first: treadle.load(path)."
            )
        return serialization.copy_component(self, source, source_name, name, config)

    def _get_pipe_index(
        self,
        *,
        before: str | int | None = None,
        after: str | int | None = None,
        first: bool | None = None,
        last: bool | None = None,
    ) -> int:
        given = {
            k: v
            for k, v in (("before", before), ("after", after), ("first", first), ("last", last))
            if v is not None and v is not False
        }
        if len(given) > 1:
            raise PipelineError(
                f"Give at most one of before, after, first, last; got {', '.join(given)}."
            )
        names = self.component_names
        if first:
            return 0
        if last or not given:
            return len(names)

        def position(ref: str | int, arg: str) -> int:
            if isinstance(ref, bool) or not isinstance(ref, (str, int)):
                raise PipelineError(f"{arg}= must be a component name or an index, got {ref!r}.")
            if isinstance(ref, int):
                if not 0 <= ref < len(names):
                    raise PipelineError(
                        f"{arg}={ref} is out of range: the pipeline has {len(names)} components."
                    )
                return ref
            if ref not in names:
                raise PipelineError(
                    f"{arg}={ref!r}: no component of that name. "
                    f"Components: {', '.join(names) or '(none)'}."
                )
            return names.index(ref)

        if before is not None:
            return position(before, "before")
        return position(after, "after") + 1  # type: ignore[arg-type]

    def remove_pipe(self, name: str) -> tuple[str, Any]:
        """Remove a component; returns (name, component)."""
        component = self.get_pipe(name)
        self._components = [(n, c) for n, c in self._components if n != name]
        self._pipe_configs.pop(name, None)
        self._pipe_meta.pop(name, None)
        self._disabled.discard(name)
        return name, component

    def replace_pipe(
        self,
        name: str,
        factory_name: str,
        *,
        config: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> Any:
        """Replace component ``name`` with a new one from ``factory_name``, in place."""
        index = self.component_names.index(name) if self.has_pipe(name) else None
        if index is None:
            raise self._no_such_component(name)
        component, pipe_config = self._create_pipe(factory_name, name, config, validate)
        was_disabled = name in self._disabled
        self.remove_pipe(name)
        self._components.insert(index, (name, component))
        self._pipe_configs[name] = pipe_config
        self._pipe_meta[name] = self.get_factory_meta(factory_name)
        if was_disabled:
            self._disabled.add(name)
        return component

    def rename_pipe(self, old_name: str, new_name: str) -> None:
        if not self.has_pipe(old_name):
            raise self._no_such_component(old_name)
        check_component_name(new_name)
        if new_name in self.component_names:
            raise PipelineError(
                f"Can't rename {old_name!r} to {new_name!r}: that name is already taken."
            )
        self._components = [(new_name if n == old_name else n, c) for n, c in self._components]
        self._pipe_configs[new_name] = self._pipe_configs.pop(old_name)
        self._pipe_meta[new_name] = self._pipe_meta.pop(old_name)
        if old_name in self._disabled:
            self._disabled.discard(old_name)
            self._disabled.add(new_name)
        component = self.get_pipe(new_name)
        if isinstance(getattr(component, "name", None), str):
            # Components that know their own name (for losses, scores) follow the rename.
            with contextlib.suppress(AttributeError):
                component.name = new_name

    def disable_pipe(self, name: str) -> None:
        """Keep the component but skip it when processing (``enable_pipe`` undoes)."""
        if not self.has_pipe(name):
            raise self._no_such_component(name)
        self._disabled.add(name)

    def enable_pipe(self, name: str) -> None:
        if not self.has_pipe(name):
            raise self._no_such_component(name)
        self._disabled.discard(name)

    def select_pipes(
        self,
        *,
        disable: str | Iterable[str] | None = None,
        enable: str | Iterable[str] | None = None,
    ) -> DisabledPipes:
        """Disable components for a while: use as ``with nlp.select_pipes(disable=...)``
        or keep the result and call ``.restore()``. ``enable=`` disables all others."""
        if disable is None and enable is None:
            raise PipelineError("select_pipes needs disable=... or enable=...")
        disable_set = {disable} if isinstance(disable, str) else set(disable or ())
        enable_set = {enable} if isinstance(enable, str) else set(enable or ())
        for n in disable_set | enable_set:
            if not self.has_pipe(n):
                raise self._no_such_component(n)
        if enable is not None:
            implied = {n for n in self.component_names if n not in enable_set}
            if disable is not None and disable_set != implied:
                conflict = sorted(disable_set & enable_set) or sorted(implied ^ disable_set)
                raise PipelineError(
                    f"select_pipes: disable={sorted(disable_set)} and enable={sorted(enable_set)} "
                    f"disagree about {', '.join(conflict)}."
                )
            disable_set = implied
        to_disable = [
            n for n in self.component_names if n in disable_set and n not in self._disabled
        ]
        for n in to_disable:
            self._disabled.add(n)
        return DisabledPipes(self, to_disable)

    # ------------------------------------------------------------------ processing

    def make_doc(self, text: str) -> Doc:
        """Tokenize ``text`` (no components run)."""
        if not isinstance(text, str):
            raise DataError(f"Expected a str to tokenize, got {type(text).__name__}.")
        if len(text) > self.max_length:
            raise DataError(
                f"Text of length {len(text):,} exceeds nlp.max_length ({self.max_length:,}). "
                f"Split the text into smaller pieces, or raise nlp.max_length if you have "
                f"the memory for it."
            )
        return self.tokenizer(text)

    def _ensure_doc(self, doc_like: object) -> Doc:
        if isinstance(doc_like, str):
            return self.make_doc(doc_like)
        if isinstance(doc_like, Doc):
            return doc_like
        raise DataError(
            f"Expected a str or a Doc to process, got {type(doc_like).__name__}: {doc_like!r:.80}"
        )

    def _active(self, disable: Iterable[str]) -> list[tuple[str, Any]]:
        disable = {disable} if isinstance(disable, str) else set(disable)
        for n in disable:
            if not self.has_pipe(n):
                raise self._no_such_component(n)
        return [(n, c) for n, c in self.pipeline if n not in disable]

    def __call__(self, text: str | Doc, *, disable: Iterable[str] = ()) -> Doc:
        """Tokenize ``text`` (or take a Doc as is) and run each enabled component."""
        doc = self._ensure_doc(text)
        for name, proc in self._active(disable):
            doc = proc(doc)
            if not isinstance(doc, Doc):
                raise PipelineError(
                    f"Component {name!r} returned {type(doc).__name__} instead of the Doc. "
                    f"A component must return the Doc it was given (forgot 'return doc'?)."
                )
        return doc

    def pipe(
        self,
        texts: Iterable[Any],
        *,
        as_tuples: bool = False,
        batch_size: int | None = None,
        disable: Iterable[str] = (),
        n_process: int = 1,
    ) -> Iterator[Any]:
        """Process a stream of texts lazily, ``batch_size`` at a time; yields Docs in
        order. With ``as_tuples``, items are (text, context) and (doc, context) come
        back. Components that have ``pipe`` get each batch whole.

        ``n_process > 1`` runs the batches in that many spawned worker processes
        (``-1``: one per CPU), each rebuilding the pipeline from ``to_bytes()``; see
        :mod:`treadle.multiprocess`. The Docs are then new objects (copies of any Docs
        given, annotated), with this ``nlp``'s vocab. Scripts that use it need the
        usual ``if __name__ == "__main__":`` guard."""
        size = batch_size if batch_size is not None else self.batch_size
        if not isinstance(size, int) or size < 1:
            raise PipelineError(f"batch_size must be a positive integer, got {size!r}.")
        n_process = resolve_n_process(n_process)
        procs = self._active(disable)  # checks names now, not on first next()
        if n_process > 1:
            return pipe_in_processes(
                self,
                texts,
                n_process=n_process,
                batch_size=size,
                as_tuples=as_tuples,
                active=[name for name, _ in procs],
            )
        if as_tuples:
            return self._pipe_tuples(texts, size, procs)
        return self._pipe_docs(texts, size, procs)

    def _pipe_docs(
        self, texts: Iterable[Any], size: int, procs: list[tuple[str, Any]]
    ) -> Iterator[Any]:
        for batch in batched(texts, size):
            yield from self._process_batch(batch, size, procs)

    def _pipe_tuples(
        self, items: Iterable[Any], size: int, procs: list[tuple[str, Any]]
    ) -> Iterator[tuple[Any, Any]]:
        for batch in batched(items, size):
            texts, contexts = [], []
            for item in batch:
                if not isinstance(item, tuple) or len(item) != 2:
                    raise DataError(
                        f"pipe(as_tuples=True) expects (text, context) pairs, got {item!r:.80}"
                    )
                texts.append(item[0])
                contexts.append(item[1])
            docs = self._process_batch(texts, size, procs)
            yield from zip(docs, contexts, strict=True)

    def _process_batch(
        self, batch: list[Any], size: int, procs: list[tuple[str, Any]]
    ) -> list[Any]:
        docs = [self._ensure_doc(t) for t in batch]
        for name, proc in procs:
            pipe_method = getattr(proc, "pipe", None)
            if pipe_method is not None:
                out = list(pipe_method(docs, batch_size=size))
            else:
                out = [proc(doc) for doc in docs]
            if len(out) != len(docs):
                raise PipelineError(
                    f"Component {name!r} returned {len(out)} Docs for a batch of {len(docs)}."
                )
            for doc in out:
                if not isinstance(doc, Doc):
                    raise PipelineError(
                        f"Component {name!r} returned {type(doc).__name__} instead of a Doc. "
                        f"A component must return the Doc it was given (forgot 'return doc'?)."
                    )
            docs = out
        return docs

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        sgd: Optimizer | None = None,
    ) -> Optimizer:
        """Set the pipeline up for training; returns the optimizer (``sgd``, or a new
        one built from ``[training.optimizer]``, Adam by default).

        Reads the config's ``[initialize]`` section: ``before_init(nlp)`` callback,
        ``vectors`` (a saved pipeline whose vectors are copied in), the tokenizer's and
        each enabled component's settings (``[initialize.components.<name>]``, e.g.
        ``labels``) passed to their ``initialize``, ``init_tok2vec`` (weights from
        ``treadle pretrain`` loaded into the layer ``[pretraining]`` names), then
        ``after_init(nlp)``.
        ``get_examples`` returns training Examples (labels and shapes come from them).
        """
        if get_examples is not None and not callable(get_examples):
            raise PipelineError(
                "initialize(get_examples=...) expects a function returning Examples, got "
                f"{type(get_examples).__name__}."
            )
        init_cfg = self._resolved_initialize()
        before_init = init_cfg.get("before_init")
        if before_init is not None:
            before_init(self)
        if init_cfg.get("vectors"):
            self.load_vectors(init_cfg["vectors"])
        self.prepare_static_vectors()
        for key in ("vocab_data", "lookups"):
            if init_cfg.get(key):
                raise ConfigError(f"initialize.{key} is not supported yet; set it to null.")
        tok_init = getattr(self.tokenizer, "initialize", None)
        if tok_init is not None:
            tok_init(get_examples, nlp=self, **dict(init_cfg.get("tokenizer") or {}))
        comp_settings = dict(init_cfg.get("components") or {})
        for name, proc in self.pipeline:
            init = getattr(proc, "initialize", None)
            if init is not None:
                init(get_examples, nlp=self, **dict(comp_settings.get(name) or {}))
        if init_cfg.get("init_tok2vec"):
            # After the components: their initialize must not overwrite the weights.
            self._load_init_tok2vec(init_cfg["init_tok2vec"])
        after_init = init_cfg.get("after_init")
        if after_init is not None:
            after_init(self)
        return sgd if sgd is not None else self.create_optimizer()

    def begin_training(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        sgd: Optimizer | None = None,
    ) -> Optimizer:
        """The old name of :meth:`initialize`."""
        return self.initialize(get_examples, sgd=sgd)

    def create_optimizer(self) -> Optimizer:
        """An optimizer from the config's ``[training.optimizer]`` (Adam if unset)."""
        block = self._config.get("training", {}).get("optimizer")
        if isinstance(block, Mapping) and any(str(k).startswith("@") for k in block):
            return registry.resolve_at("training.optimizer", dict(block))
        return registry.optimizers.get("Adam.v1")()

    def _resolved_initialize(self) -> dict[str, Any]:
        """The ``[initialize]`` section with its callbacks built ({} if absent)."""
        section = self._config.get("initialize")
        if not isinstance(section, Mapping):
            return {}
        return dict(registry.resolve_at("initialize", dict(section)))

    def _load_init_tok2vec(self, source: str | Path) -> None:
        """Load ``treadle pretrain`` weights into the layer ``[pretraining]`` names
        (component ``tok2vec``, whole model, without that section)."""
        block = self._config.get("pretraining")
        block = block if isinstance(block, Mapping) else {}
        component = str(block.get("component") or "tok2vec")
        layer = str(block.get("layer") or "")
        if component not in self.component_names:
            raise ConfigError(
                f"initialize.init_tok2vec is set, but pretraining.component = {component!r} "
                f"is not in the pipeline ({', '.join(self.component_names) or 'empty'})."
            )
        model = getattr(self.get_pipe(component), "model", None)
        if not isinstance(model, torch.nn.Module):
            raise ConfigError(
                f"initialize.init_tok2vec: component {component!r} has no model to load into."
            )
        target = find_layer(model, layer, where="pretraining.layer")
        load_weights(target, ensure_path(source), key="initialize.init_tok2vec")

    def prepare_static_vectors(self) -> None:
        """Size each static-vectors layer to the vocab's table, before any optimizer
        collects parameters; a component whose model reads static vectors cannot
        train without a table."""
        vectors = self.vocab.vectors
        for name, proc in self.pipeline:
            model = getattr(proc, "model", None)
            modules = model.modules() if hasattr(model, "modules") else ()
            layers = [m for m in modules if getattr(m, "requires_vectors", False)]
            if layers and not vectors.is_empty:
                for layer in layers:
                    layer.set_input_width(vectors.shape[1])
            elif layers:
                raise ConfigError(
                    f"Component {name!r} uses static vectors (include_static_vectors = true) "
                    "but the vocab has no vectors. Set [initialize] vectors (paths.vectors) to "
                    "a pipeline made by `treadle init vectors`, or set "
                    "include_static_vectors = false."
                )

    def load_vectors(self, source: str | Path) -> None:
        """Copy the word vectors of a saved pipeline (a folder with config.cfg) or a
        saved Vectors folder into this vocab."""
        path = ensure_path(source)
        if not path.exists():
            raise ConfigError(f"initialize.vectors: {str(source)!r} does not exist.")
        if (path / CONFIG_FILE).exists():
            src = load(path)
            vectors = src.vocab.vectors
            serialization.copy_strings(src.vocab, self.vocab)
            # Lexeme attributes set by `init vectors --lexemes-jsonl` come along.
            self.vocab._apply_overrides(src.vocab._overrides)
        else:
            vectors = type(self.vocab.vectors)().from_disk(path)
        self.vocab.vectors = vectors

    def evaluate(
        self,
        examples: Iterable[Example],
        *,
        batch_size: int | None = None,
        scorer_cfg: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run the pipeline over the Examples' texts and score the predictions against
        their references (see :func:`treadle.scoring.evaluate`)."""
        return evaluate(self, examples, batch_size=batch_size, scorer_cfg=scorer_cfg)

    # ------------------------------------------------------------------ training step

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
        exclude: Iterable[str] = (),
        annotates: Iterable[str] = (),
    ) -> dict[str, float]:
        """One training step over a batch of Examples: every trainable component's loss,
        one backward pass, and with ``sgd`` one optimizer step. ``exclude``: frozen
        components; ``annotates``: components whose predictions later ones see. See
        :func:`treadle.train_step.update`."""
        return train_step.update(
            self, examples, drop=drop, sgd=sgd, losses=losses, exclude=exclude, annotates=annotates
        )

    def finish_update(self, sgd: Optimizer, *, exclude: Iterable[str] = ()) -> None:
        """Apply the accumulated gradients of every trainable component with ``sgd`` (one
        optimizer step over all their keyed parameters), then clear the gradients."""
        train_step.finish_update(self, sgd, exclude=exclude)

    # ------------------------------------------------------------------ meta and config

    @property
    def meta(self) -> dict[str, Any]:
        """Name, version and description of the pipeline, plus what it contains
        (written to meta.json). Edit it in place to set name/version/etc."""
        meta = self._meta
        meta.setdefault("lang", self.lang)
        meta.setdefault("name", "pipeline")
        meta.setdefault("version", "0.0.0")
        meta.setdefault("description", "")
        meta["lang"] = self.lang
        meta["treadle_version"] = __version__
        meta["pipeline"] = self.pipe_names
        meta["components"] = self.component_names
        meta["disabled"] = self.disabled
        meta["labels"] = self.pipe_labels
        return meta

    @meta.setter
    def meta(self, value: Mapping[str, Any]) -> None:
        self._meta = dict(value)

    @property
    def config(self) -> Config:
        """The full config of this pipeline: [nlp] and one [components.<name>] block
        per component, plus any other sections it was created from."""
        data = copy.deepcopy(self._config)
        nlp_block = {**default_nlp_block(self.lang, self.batch_size), **data.get("nlp", {})}
        nlp_block["lang"] = self.lang
        nlp_block["pipeline"] = self.component_names
        nlp_block["disabled"] = self.disabled
        nlp_block["batch_size"] = self.batch_size
        data["nlp"] = nlp_block
        data["components"] = {n: copy.deepcopy(self._pipe_configs[n]) for n in self.component_names}
        return Config(data)

    @config.setter
    def config(self, value: Mapping[str, Any]) -> None:
        self._config = copy.deepcopy(dict(value))

    # ------------------------------------------------------------------ from config

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any] | None = None,
        *,
        vocab: Vocab | None = None,
        disable: Iterable[str] = (),
        enable: Iterable[str] = (),
        exclude: Iterable[str] = (),
        meta: Mapping[str, Any] | None = None,
        auto_fill: bool = True,
        validate: bool = True,
    ) -> Language:
        """Build an ``nlp`` from a config's [nlp] and [components] sections.

        ``exclude`` leaves components out entirely; ``disable`` loads them disabled
        (as does ``[nlp] disabled``); ``enable`` disables every other component.
        """
        config = Config(config or {})
        if not getattr(config, "is_interpolated", True):
            config = config.interpolate()
        section = read_nlp_section(config, auto_fill=auto_fill, validate=validate)
        lang, pipeline = section.lang, section.pipeline
        components_cfg = config.get("components", {}) or {}
        exclude = {exclude} if isinstance(exclude, str) else set(exclude)
        for pipe_name in pipeline:
            if pipe_name not in components_cfg and pipe_name not in exclude:
                raise ConfigError(
                    f"nlp.pipeline names {pipe_name!r} but the config has no "
                    f"[components.{pipe_name}] block."
                )

        lang_cls = cls._class_for_lang(lang)
        if section.before_creation is not None:
            lang_cls = section.before_creation(lang_cls)
            if not (isinstance(lang_cls, type) and issubclass(lang_cls, Language)):
                raise ConfigError(
                    f"nlp.before_creation must return a Language class, got {lang_cls!r}."
                )
        nlp = lang_cls(
            vocab,
            lang=lang,
            create_tokenizer=section.create_tokenizer,
            meta=meta,
            batch_size=section.batch_size,
        )
        if section.after_creation is not None:
            nlp = section.after_creation(nlp)
            if not isinstance(nlp, Language):
                raise ConfigError(f"nlp.after_creation must return the nlp object, got {nlp!r}.")
        # Keep [training], [paths], ... and the [nlp] block as written.
        base = {k: copy.deepcopy(v) for k, v in config.items() if k != "components"}
        base["nlp"] = {
            k: v for k, v in section.settings.items() if k not in ("pipeline", "disabled")
        }
        nlp._config = base

        sources: dict[str, Language] = {}
        for pipe_name in pipeline:
            if pipe_name in exclude:
                continue
            block = components_cfg[pipe_name]
            if not isinstance(block, dict):
                raise ConfigError(f"[components.{pipe_name}] must be a section.")
            if "factory" in block:
                settings = {k: v for k, v in block.items() if k != "factory"}
                nlp.add_pipe(block["factory"], name=pipe_name, config=settings, validate=validate)
            elif "source" in block:
                src_path = block["source"]
                if not isinstance(src_path, (str, Path)):
                    raise ConfigError(
                        f"components.{pipe_name}.source must be the path of a saved pipeline."
                    )
                key = str(src_path)
                if key not in sources:
                    sources[key] = _load_source(src_path, pipe_name)
                src_name = block.get("component", pipe_name)
                nlp.add_pipe(src_name, name=pipe_name, source=sources[key])
            else:
                raise ConfigError(
                    f'[components.{pipe_name}] needs either factory = "..." (create it) or '
                    f'source = "path" (copy it from a saved pipeline).'
                )
        disabled = set(section.disabled) | (
            {disable} if isinstance(disable, str) else set(disable)
        )
        enable = {enable} if isinstance(enable, str) else set(enable)
        if enable:
            disabled |= {n for n in nlp.component_names if n not in enable}
        for pipe_name in disabled:
            if pipe_name in exclude:
                continue
            if not nlp.has_pipe(pipe_name):
                raise ConfigError(
                    f"Can't disable {pipe_name!r}: no such component in nlp.pipeline "
                    f"({', '.join(pipeline) or 'empty'})."
                )
            nlp.disable_pipe(pipe_name)
        if section.after_pipeline_creation is not None:
            nlp = section.after_pipeline_creation(nlp)
            if not isinstance(nlp, Language):
                raise ConfigError(
                    f"nlp.after_pipeline_creation must return the nlp object, got {nlp!r}."
                )
        return nlp

    @classmethod
    def _class_for_lang(cls, lang: str) -> type[Language]:
        """A throwaway subclass carrying its own copy of the language data, so that a
        before_creation callback may edit ``cls.Defaults`` freely."""
        if cls.Defaults is not None and cls.lang == lang:
            data = cls.Defaults
            data = data.copy() if hasattr(data, "copy") else copy.copy(data)
        else:
            data = get_language_data(lang)  # a fresh copy already
        return type(cls.__name__, (cls,), {"lang": lang, "Defaults": data})

    # ------------------------------------------------------------------ serialisation

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the pipeline as a folder (written beside ``path`` then moved into place,
        so a failure leaves any previous save intact)."""
        serialization.to_disk(self, path, exclude=exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Language:
        """Read back what ``to_disk`` saved into this ``nlp`` (built from the same
        config, e.g. by ``treadle.load``)."""
        return serialization.from_disk(self, path, exclude=exclude)

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The same parts as ``to_disk``, as one msgpack message."""
        return serialization.to_bytes(self, exclude=exclude)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Language:
        return serialization.from_bytes(self, data, exclude=exclude)


class DisabledPipes(list):
    """The components a ``select_pipes`` call disabled; ``restore()`` (or leaving the
    ``with`` block) enables them again."""

    def __init__(self, nlp: Language, names: Sequence[str]) -> None:
        super().__init__(names)
        self.nlp = nlp
        self._restored = False

    def __enter__(self) -> DisabledPipes:
        return self

    def __exit__(self, *args: Any) -> None:
        self.restore()

    def restore(self) -> None:
        if self._restored:
            return
        for name in self:
            # A component removed or renamed meanwhile has nothing to restore.
            if self.nlp.has_pipe(name):
                self.nlp.enable_pipe(name)
        self._restored = True


# ---------------------------------------------------------------------- module helpers


def _make_vocab(lang: str, lang_data: LanguageData) -> Vocab:
    vocab = make_vocab(lang_data)
    vocab.lang = lang
    return vocab


# Entries of a saved pipeline folder that are not components' folders.
RESERVED_NAMES = frozenset({"vocab", "tokenizer", "training", CONFIG_FILE, META_FILE})


def check_component_name(name: Any) -> None:
    """A component's name is also its folder in a saved pipeline, so it must be a
    plain file name: anything that could point elsewhere is refused."""
    if not isinstance(name, str) or not name:
        raise PipelineError(f"A component name must be a non-empty string, got {name!r}.")
    bad = (
        name.startswith(".")  # also "." and ".."
        or any(c in name for c in "/\\\x00:")
        or Path(name).is_absolute()
        or len(name) > 200
        or not name.isprintable()
    )
    if bad:
        raise PipelineError(
            f"Component name {name!r} is not a plain name: it is also the component's folder "
            "in a saved pipeline, so it may not be empty, start with '.', be longer than 200 "
            "characters, or hold '/', '\\', ':' or control characters."
        )
    if name in RESERVED_NAMES:
        raise PipelineError(
            f"Component name {name!r} is taken by a saved pipeline's own files "
            f"({', '.join(sorted(RESERVED_NAMES))}); choose another name."
        )


def _check_factory_name(factory_name: Any) -> None:
    if not isinstance(factory_name, str):
        raise PipelineError(
            f"add_pipe expects the name of a registered factory (a string), got "
            f"{factory_name!r}. Register a function with @Language.component('name') "
            f"or @Language.factory('name') and pass 'name'."
        )


# The saved pipelines being loaded as sources, outermost first: a pipeline whose
# component is sourced from itself (or from one that sources it back) is refused.
_SOURCES_BEING_LOADED: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "treadle_sources_being_loaded", default=()
)


def _load_source(path: str | Path, pipe_name: str) -> Language:
    # A source may name an installed pipeline package too.
    path = serialization.resolve_pipeline(path)
    resolved = path.resolve()
    chain = _SOURCES_BEING_LOADED.get()
    if resolved in chain:
        loop = " -> ".join(str(p) for p in (*chain[chain.index(resolved) :], resolved))
        raise ConfigError(
            f"components.{pipe_name}.source: sourcing loop ({loop}); a pipeline can't take "
            "a component from itself, directly or through another pipeline."
        )
    return load(path)  # which adds the path to the chain while it loads


# ---------------------------------------------------------------------- top level


def blank(
    lang: str,
    *,
    config: Mapping[str, Any] | None = None,
    vocab: Vocab | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Language:
    """An empty pipeline (tokenizer only) for language ``lang``. ``config`` may set
    [nlp] options (e.g. the tokenizer) to merge over the defaults."""
    base = Config({"nlp": {"lang": lang, "pipeline": []}, "components": {}})
    if config:
        base = base.merge(Config(config))
        base["nlp"]["lang"] = lang
    return Language.from_config(base, vocab=vocab, meta=meta)


def load(
    path: str | Path,
    *,
    exclude: Iterable[str] = (),
    disable: Iterable[str] = (),
    enable: Iterable[str] = (),
    config: Mapping[str, Any] | None = None,
) -> Language:
    """Load a pipeline saved with ``nlp.to_disk``: read its config.cfg, build the
    pipeline from it, then read the saved state. ``path`` may also name an installed
    pipeline package (``treadle package``, then pip install). ``config`` overrides
    settings, as a nested dict or with dotted keys
    (``{"components.sentencizer.overwrite": True}``)."""
    path = serialization.resolve_pipeline(path)
    serialization.check_pipeline_dir(path)
    token = _SOURCES_BEING_LOADED.set((*_SOURCES_BEING_LOADED.get(), path.resolve()))
    try:
        return _load(path, exclude=exclude, disable=disable, enable=enable, config=config)
    finally:
        _SOURCES_BEING_LOADED.reset(token)


def _load(
    path: Path,
    *,
    exclude: Iterable[str],
    disable: Iterable[str],
    enable: Iterable[str],
    config: Mapping[str, Any] | None,
) -> Language:
    cfg = Config().from_disk(path / CONFIG_FILE, interpolate=False)
    if config:
        dotted = {k: v for k, v in config.items() if "." in k}
        nested = {k: v for k, v in config.items() if "." not in k}
        if nested:
            cfg = cfg.merge(Config(nested, is_interpolated=False))
        for key, value in dotted.items():
            node = cfg
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    cfg = cfg.interpolate()
    exclude = {exclude} if isinstance(exclude, str) else set(exclude)
    # Checked before anything is built: components that can't be rebuilt from the
    # config alone (a transformer) build from their saved folders in ``path``
    # (factories.saved_component_folder), so they read files from the folder.
    saved = serialization.read_saved_meta(path)
    pipeline = cfg.get("nlp", {}).get("pipeline", [])
    names = list(pipeline) if isinstance(pipeline, list) else []
    for name in names:
        check_component_name(name)
    serialization.verify_files(path, saved, names, exclude)
    with factories.loading_pipeline_from(path):
        nlp = Language.from_config(cfg, disable=disable, enable=enable, exclude=exclude)
    return serialization.read_parts(nlp, path, saved, exclude)
