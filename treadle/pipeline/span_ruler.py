"""``span_ruler``: rule-based spans from token and phrase patterns.

A pattern is a dict ``{"label": "ORG", "pattern": ..., "id": "apple"}`` ("id" is
optional). A string ``pattern`` is a *phrase*: it is tokenized with the pipeline's
tokenizer and matched token for token on ``phrase_matcher_attr`` (ORTH when null) by a
:class:`~treadle.matcher.PhraseMatcher`. A list of dicts is a *token pattern* matched by
a :class:`~treadle.matcher.Matcher` (``[{"LOWER": "new"}, {"LOWER": "york"}]``).

Matches become Spans labelled with the pattern's label whose ``id_`` is the pattern's
id, written to ``doc.spans[spans_key]`` and, with ``annotate_ents``, to ``doc.ents``.
The ``entity_ruler`` (treadle/pipeline/entity_ruler.py) is the same machinery set up
to write entities only.

Patterns come from Python (``add_patterns``), from ``[initialize.components.<name>]
patterns`` (a list, or the path of a ``.jsonl`` file with one pattern per line or a
``.json`` file holding a list), and are saved with the pipeline as ``patterns.jsonl``.

Scores: the span group is scored as ``spans_<key>_p/_r/_f/_per_type`` (e.g.
``spans_ruler_f`` for the default key), entities as ``ents_p/_r/_f/_per_type``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from treadle.errors import ConfigError
from treadle.pipeline._internal.span_rules import (
    DEFAULT_SPANS_KEY,
    BaseSpanRuler,
    SpansFilter,
    prioritize_new_ents_filter,
)
from treadle.pipeline.factories import factory
from treadle.scoring import Scorer
from treadle.tokens import Span

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc
    from treadle.tokens.example import Example

class SpanRuler(BaseSpanRuler):
    """Writes pattern matches to ``doc.spans[spans_key]`` (and ``doc.ents`` with
    ``annotate_ents``)."""

    def __init__(
        self,
        nlp: Language,
        name: str = "span_ruler",
        *,
        spans_key: str | None = DEFAULT_SPANS_KEY,
        spans_filter: SpansFilter | None = None,
        annotate_ents: bool = False,
        ents_filter: SpansFilter = prioritize_new_ents_filter,
        phrase_matcher_attr: str | int | None = None,
        validate: bool = False,
        overwrite: bool = True,
    ) -> None:
        if spans_key is None and not annotate_ents:
            raise ConfigError(
                f"span_ruler {name!r}: with spans_key = null the ruler would write nothing; "
                "set a spans_key or annotate_ents = true"
            )
        self.spans_key = spans_key
        self.spans_filter = spans_filter
        self.annotate_ents = bool(annotate_ents)
        self.ents_filter = ents_filter
        self.overwrite = bool(overwrite)
        super().__init__(nlp, name, phrase_matcher_attr=phrase_matcher_attr, validate=validate)

    def remove(self, label: str) -> None:
        """Remove every pattern with this label."""
        self.remove_by_label(label)

    def set_annotations(self, doc: Doc, spans: list[Span]) -> None:
        if self.spans_key is not None:
            old = [] if self.overwrite else list(doc.spans.get(self.spans_key, []))
            if self.spans_filter is not None:
                group = list(self.spans_filter(old, spans))
            else:
                group = [*old, *spans]
            doc.spans[self.spans_key] = group
        if self.annotate_ents:
            self._set_ents(doc, spans, self.ents_filter)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        examples = list(examples)
        kwargs = {k: v for k, v in kwargs.items() if k not in ("getter", "has_annotation", "labeled")}
        scores: dict[str, Any] = {}
        key = self.spans_key
        if key is not None:

            def getter(doc: Doc, _attr: str) -> Iterable[Span]:
                return doc.spans.get(key, [])

            def has_annotation(doc: Doc) -> bool:
                return key in doc.spans

            scores.update(
                Scorer.score_spans(
                    examples, f"spans_{key}", getter=getter, has_annotation=has_annotation, **kwargs
                )
            )
        if self.annotate_ents:
            scores.update(Scorer.score_spans(examples, "ents", **kwargs))
        return scores

    def get_cfg(self) -> dict[str, Any]:
        return {
            **super().get_cfg(),
            "spans_key": self.spans_key,
            "annotate_ents": self.annotate_ents,
            "overwrite": self.overwrite,
        }

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        if "spans_key" in cfg:
            self.spans_key = cfg["spans_key"]
        if "annotate_ents" in cfg:
            self.annotate_ents = bool(cfg["annotate_ents"])
        if "overwrite" in cfg:
            self.overwrite = bool(cfg["overwrite"])
        super().set_cfg(cfg)


@factory(
    "span_ruler",
    assigns=["doc.spans"],
    default_config={
        "spans_key": DEFAULT_SPANS_KEY,
        "spans_filter": None,
        "annotate_ents": False,
        "ents_filter": {"@misc": "treadle.prioritize_new_ents_filter.v1"},
        "phrase_matcher_attr": None,
        "validate": False,
        "overwrite": True,
    },
    default_score_weights={
        f"spans_{DEFAULT_SPANS_KEY}_f": 1.0,
        f"spans_{DEFAULT_SPANS_KEY}_p": 0.0,
        f"spans_{DEFAULT_SPANS_KEY}_r": 0.0,
        f"spans_{DEFAULT_SPANS_KEY}_per_type": None,
    },
)
def make_span_ruler(
    nlp: Language,
    name: str,
    spans_key: str | None = DEFAULT_SPANS_KEY,
    spans_filter: Callable[..., Any] | None = None,
    annotate_ents: bool = False,
    ents_filter: Callable[..., Any] = prioritize_new_ents_filter,
    phrase_matcher_attr: str | int | None = None,
    validate: bool = False,
    overwrite: bool = True,
) -> SpanRuler:
    return SpanRuler(
        nlp,
        name,
        spans_key=spans_key,
        spans_filter=spans_filter,
        annotate_ents=annotate_ents,
        ents_filter=ents_filter,
        phrase_matcher_attr=phrase_matcher_attr,
        validate=validate,
        overwrite=overwrite,
    )
