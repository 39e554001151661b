"""``parser``: labelled dependency parsing and sentence segmentation (arc-eager).

The transition system is :class:`ArcEager` (treadle/pipeline/_internal/transition/arc_eager.py);
the network ``treadle.TransitionBasedParser.v1``; training and greedy prediction come
from :class:`TransitionPipe`. Non-projective gold trees are lifted (pseudo-projective
labels ``"label||headlabel"``) before the oracle sees them, and the parser's output is
lowered again when it is written onto the Docs. Labels seen fewer than
``min_action_freq`` times in the training data are collapsed into ``"dep"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from treadle.errors import ConfigError
from treadle.pipeline._internal.transition.arc_eager import BACKOFF_LABEL, ROOT_LABEL, ArcEager
from treadle.pipeline._internal.transition_pipe import TransitionPipe
from treadle.pipeline.factories import factory
from treadle.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from treadle.scoring import Scorer

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Vocab
    from treadle.tokens.example import Example

DEFAULT_PARSER_MODEL: dict[str, Any] = {
    "@architectures": "treadle.TransitionBasedParser.v1",
    "state_type": "parser",
    "extra_state_tokens": False,
    "hidden_width": 64,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": dict(DEFAULT_TOK2VEC_MODEL),
}


class DependencyParser(TransitionPipe):
    """Assigns ``token.head``, ``token.dep_`` and sentence boundaries."""

    moves: ArcEager

    def __init__(
        self,
        vocab: Vocab,
        model: torch.nn.Module,
        name: str = "parser",
        *,
        update_with_oracle_cut_size: int = 100,
        learn_tokens: bool = False,
        min_action_freq: int = 30,
        beam_width: int = 1,
        beam_density: float = 0.0,
        root_label: str = ROOT_LABEL,
    ) -> None:
        if learn_tokens:
            raise ConfigError(
                f"Component {name!r}: learn_tokens = true is not supported (the parser does "
                "not merge subtokens); set learn_tokens = false"
            )
        super().__init__(
            vocab,
            model,
            name,
            update_with_oracle_cut_size=update_with_oracle_cut_size,
            beam_width=beam_width,
            beam_density=beam_density,
            learn_tokens=False,
            min_action_freq=int(min_action_freq),
            root_label=root_label,
        )

    def make_moves(self, labels: Iterable[str]) -> ArcEager:
        return ArcEager(labels, root_label=self.cfg.get("root_label", ROOT_LABEL))

    def _labels_from_examples(self, examples: Iterable[Example]) -> list[str]:
        arcs, roots = self.moves.label_counts(examples)
        if roots:
            self.cfg["root_label"] = roots.most_common(1)[0][0]
            self.moves.root_label = self.cfg["root_label"]
        threshold = int(self.cfg.get("min_action_freq", 1) or 1)
        keep = sorted(label for label, n in arcs.items() if n >= threshold)
        if len(keep) < len(arcs) and BACKOFF_LABEL not in keep:
            keep.append(BACKOFF_LABEL)
        return keep

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        return Scorer.score_parse(examples, **kwargs)


@factory(
    "parser",
    assigns=["token.dep", "token.head", "token.is_sent_start", "doc.sents"],
    default_config={
        "model": DEFAULT_PARSER_MODEL,
        "update_with_oracle_cut_size": 100,
        "learn_tokens": False,
        "min_action_freq": 30,
        "beam_width": 1,
        "beam_density": 0.0,
    },
    default_score_weights={
        "dep_uas": 0.5,
        "dep_las": 0.5,
        "dep_las_per_type": None,
        "sents_p": None,
        "sents_r": None,
        "sents_f": 0.0,
    },
)
def make_parser(
    nlp: Language,
    name: str,
    model: torch.nn.Module,
    update_with_oracle_cut_size: int = 100,
    learn_tokens: bool = False,
    min_action_freq: int = 30,
    beam_width: int = 1,
    beam_density: float = 0.0,
) -> DependencyParser:
    return DependencyParser(
        nlp.vocab,
        model,
        name,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        learn_tokens=learn_tokens,
        min_action_freq=min_action_freq,
        beam_width=beam_width,
        beam_density=beam_density,
    )
