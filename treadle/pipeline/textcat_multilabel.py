"""``textcat_multilabel``: any number of labels per Doc, an independent sigmoid each.

The component is ``textcat``'s (treadle/pipeline/textcat.py) with ``exclusive`` off:
binary cross-entropy per label, and a label absent from a reference's cats is missing
for that Doc rather than negative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from treadle.pipeline.factories import factory
from treadle.pipeline.textcat import TextCategorizer, _default_model, _score_weights

if TYPE_CHECKING:
    from treadle.language import Language


class MultiLabelTextCategorizer(TextCategorizer):
    """Any number of labels per Doc: an independent probability for each."""

    exclusive = False


@factory(
    "textcat_multilabel",
    assigns=["doc.cats"],
    default_config={"model": _default_model(False), "threshold": 0.5},
    default_score_weights=_score_weights(),
)
def make_textcat_multilabel(
    nlp: Language, name: str, model: torch.nn.Module, threshold: float = 0.5
) -> MultiLabelTextCategorizer:
    return MultiLabelTextCategorizer(nlp.vocab, model, name, threshold=threshold)
