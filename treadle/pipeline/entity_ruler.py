"""``entity_ruler``: named entities from token and phrase patterns.

Patterns are those of the ``span_ruler`` (treadle/pipeline/span_ruler.py):
``{"label": "ORG", "pattern": "Apple", "id": "apple"}`` with a phrase string or a list
of token dicts; the optional id ends up on the entity's ``Span.id_`` and each of its
tokens' ``ent_id_``.

Matches that overlap each other are resolved longest first, then earliest. Entities
already on the Doc (from a statistical ``ner`` before the ruler, or set by hand) win
over matches unless ``overwrite_ents`` is true, in which case the matches replace the
entities they overlap. As with ``doc.ents = ...``, every other token is set to "O" (not
an entity). A ruler placed *before* an ``ner`` hands it entities that the ner keeps
while labelling the rest; a ruler placed *after* one fills the gaps it left (or, with
``overwrite_ents``, corrects it).

Scores ``ents_p``, ``ents_r``, ``ents_f`` and ``ents_per_type``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from treadle.pipeline._internal.span_rules import (
    BaseSpanRuler,
    prioritize_existing_ents_filter,
    prioritize_new_ents_filter,
)
from treadle.pipeline.factories import factory
from treadle.scoring import Scorer

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Doc, Span
    from treadle.tokens.example import Example

DEFAULT_ENT_ID_SEP = "||"


class EntityRuler(BaseSpanRuler):
    """Sets ``doc.ents`` from patterns."""

    def __init__(
        self,
        nlp: Language,
        name: str = "entity_ruler",
        *,
        phrase_matcher_attr: str | int | None = None,
        validate: bool = False,
        overwrite_ents: bool = False,
        ent_id_sep: str = DEFAULT_ENT_ID_SEP,
    ) -> None:
        self.overwrite_ents = bool(overwrite_ents)
        # Kept for configs written for other libraries: ids are stored apart from
        # labels here, so the separator never appears in a label.
        self.ent_id_sep = ent_id_sep
        super().__init__(nlp, name, phrase_matcher_attr=phrase_matcher_attr, validate=validate)

    @property
    def _desc(self) -> str:
        return f"entity_ruler {self.name!r}"

    def remove(self, pattern_id: str) -> None:
        """Remove every pattern with this id (raises if there is none)."""
        self.remove_by_id(pattern_id)

    def __call__(self, doc: Doc) -> Doc:
        self._set_ents_from_matches(doc, self.raw_matches(doc), prefer_new=self.overwrite_ents)
        return doc

    def set_annotations(self, doc: Doc, spans: list[Span]) -> None:
        """Set entities from Spans (e.g. from ``match``), as ``__call__`` does."""
        ents_filter = (
            prioritize_new_ents_filter if self.overwrite_ents else prioritize_existing_ents_filter
        )
        self._set_ents(doc, spans, ents_filter)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("getter", "has_annotation", "labeled")}
        return Scorer.score_spans(examples, "ents", **kwargs)

    def get_cfg(self) -> dict[str, Any]:
        return {**super().get_cfg(), "overwrite_ents": self.overwrite_ents, "ent_id_sep": self.ent_id_sep}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        if "overwrite_ents" in cfg:
            self.overwrite_ents = bool(cfg["overwrite_ents"])
        if "ent_id_sep" in cfg:
            self.ent_id_sep = str(cfg["ent_id_sep"])
        super().set_cfg(cfg)


@factory(
    "entity_ruler",
    assigns=["doc.ents", "token.ent_type", "token.ent_iob", "token.ent_id"],
    default_config={
        "phrase_matcher_attr": None,
        "validate": False,
        "overwrite_ents": False,
        "ent_id_sep": DEFAULT_ENT_ID_SEP,
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entity_ruler(
    nlp: Language,
    name: str,
    phrase_matcher_attr: str | int | None = None,
    validate: bool = False,
    overwrite_ents: bool = False,
    ent_id_sep: str = DEFAULT_ENT_ID_SEP,
) -> EntityRuler:
    return EntityRuler(
        nlp,
        name,
        phrase_matcher_attr=phrase_matcher_attr,
        validate=validate,
        overwrite_ents=overwrite_ents,
        ent_id_sep=ent_id_sep,
    )
