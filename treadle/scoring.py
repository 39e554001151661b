"""Evaluation metrics, and ``evaluate``: run a pipeline over Examples and score it.

Predicted and reference tokens are matched by their character spans, so a
tokenization error costs the tokens it touches rather than shifting every score
after it. Every metric reads only ``example.predicted`` and ``example.reference``.

Score keys (the names in ``[training.score_weights]``):

- tokenization: ``token_acc``, ``token_p``, ``token_r``, ``token_f``
- token attributes: ``tag_acc``, ``pos_acc``, ``morph_acc``, ``morph_per_feat``, ``lemma_acc``
- sentences: ``sents_p``, ``sents_r``, ``sents_f``
- dependencies: ``dep_uas``, ``dep_las``, ``dep_las_per_type``
- spans: ``ents_p``, ``ents_r``, ``ents_f``, ``ents_per_type`` (any span attribute likewise)
- classification: ``cats_score``, ``cats_score_desc``, ``cats_micro_p/r/f``,
  ``cats_macro_p/r/f``, ``cats_macro_auc``, ``cats_f_per_type``, ``cats_auc_per_type``
- ``speed`` (words per second, set by ``Language.evaluate``)
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from treadle.errors import DataError
from treadle.tokens import Doc
from treadle.tokens.example import Example

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.tokens import Span as TokenSpan
    from treadle.tokens import Token

Span = tuple[int, int]
# Dependency labels left out of attachment scores, as is usual for UD evaluation.
DEFAULT_DEP_IGNORE = ("p", "punct")


class PRFScore:
    """Counts of true positives, false positives and false negatives."""

    __slots__ = ("tp", "fp", "fn")

    def __init__(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp, self.fp, self.fn = tp, fp, fn

    def __iadd__(self, other: PRFScore) -> PRFScore:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    def __repr__(self) -> str:
        return f"PRFScore(p={self.precision:.3f}, r={self.recall:.3f}, f={self.fscore:.3f})"

    def score_set(self, cand: set, gold: set) -> None:
        self.tp += len(cand & gold)
        self.fp += len(cand - gold)
        self.fn += len(gold - cand)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp + 1e-100)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn + 1e-100)

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * (p * r) / (p + r + 1e-100)

    def to_dict(self) -> dict[str, float]:
        return {"p": self.precision, "r": self.recall, "f": self.fscore}


def _token_span(token: Token) -> Span:
    return (token.idx, token.idx + len(token.text))


def _span_index(doc: Doc) -> dict[Span, int]:
    return {_token_span(t): t.i for t in doc}


def _has_annotation(doc: Doc, attr: str) -> bool:
    return bool(doc.has_annotation(attr))


class Scorer:
    """Collects the scores of a pipeline: each component's ``score`` plus tokenization."""

    def __init__(self, nlp: Language | None = None, **cfg: Any) -> None:
        self.nlp = nlp
        self.cfg = cfg

    def score(self, examples: Sequence[Example]) -> dict[str, Any]:
        examples = list(examples)
        scores: dict[str, Any] = dict(self.score_tokenization(examples))
        if self.nlp is not None:
            for _name, component in self.nlp.pipeline:
                if hasattr(component, "score"):
                    scores.update(component.score(examples, **self.cfg))
        return scores

    # --- tokenization -----------------------------------------------------------------

    @staticmethod
    def score_tokenization(examples: Iterable[Example], **_: Any) -> dict[str, float]:
        """Token spans (whitespace tokens excluded) compared between predicted and gold."""
        prf = PRFScore()
        correct = total = 0
        for ex in examples:
            gold = {_token_span(t) for t in ex.reference if not t.is_space}
            pred = {_token_span(t) for t in ex.predicted if not t.is_space}
            prf.score_set(pred, gold)
            correct += len(pred & gold)
            total += len(gold)
        return {
            "token_acc": correct / total if total else 0.0,
            "token_p": prf.precision,
            "token_r": prf.recall,
            "token_f": prf.fscore,
        }

    # --- token attributes ---------------------------------------------------------------

    @staticmethod
    def score_token_attr(
        examples: Iterable[Example],
        attr: str,
        *,
        getter: Callable[[Token, str], Any] = getattr,
        missing_values: set[Any] | frozenset[Any] = frozenset({"", None}),
        annotation: str | None = None,
        **_: Any,
    ) -> dict[str, float | None]:
        """Accuracy of a token attribute over the gold tokens that carry a value.

        A gold token counts as correct when the predicted token with the same character
        span has the same value; tokens the tokenizer got wrong count as errors.
        Docs whose reference lacks the annotation are skipped.
        """
        annotation = annotation or attr.rstrip("_").upper()
        correct = total = 0
        for ex in examples:
            if not _has_annotation(ex.reference, annotation):
                continue
            pred_index = _span_index(ex.predicted)
            for gold_token in ex.reference:
                gold_value = getter(gold_token, attr)
                if gold_value in missing_values:
                    continue
                total += 1
                i = pred_index.get(_token_span(gold_token))
                if i is not None and getter(ex.predicted[i], attr) == gold_value:
                    correct += 1
        return {f"{attr.rstrip('_')}_acc": correct / total if total else None}

    @staticmethod
    def score_token_attr_per_feat(
        examples: Iterable[Example],
        attr: str = "morph",
        *,
        getter: Callable[[Token, str], Any] = getattr,
        **_: Any,
    ) -> dict[str, dict[str, dict[str, float]] | None]:
        """P/R/F per morphological feature field (``Number``, ``Tense``…)."""
        per_feat: dict[str, PRFScore] = defaultdict(PRFScore)
        seen = False
        for ex in examples:
            if not _has_annotation(ex.reference, attr.upper()):
                continue
            seen = True
            pred_index = _span_index(ex.predicted)
            gold_feats: dict[str, set] = defaultdict(set)
            pred_feats: dict[str, set] = defaultdict(set)
            for gold_token in ex.reference:
                span = _token_span(gold_token)
                for feat in _feats(str(getter(gold_token, attr))):
                    gold_feats[feat.split("=", 1)[0]].add((span, feat))
                i = pred_index.get(span)
                if i is not None:
                    for feat in _feats(str(getter(ex.predicted[i], attr))):
                        pred_feats[feat.split("=", 1)[0]].add((span, feat))
            for field in set(gold_feats) | set(pred_feats):
                per_feat[field].score_set(pred_feats[field], gold_feats[field])
        key = f"{attr}_per_feat"
        if not seen:
            return {key: None}
        return {key: {field: prf.to_dict() for field, prf in sorted(per_feat.items())}}

    # --- sentences and spans ----------------------------------------------------------

    @staticmethod
    def score_parse(examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """A dependency parser's scores: ``score_deps`` and ``score_sents`` together."""
        examples = list(examples)
        return {**Scorer.score_deps(examples, **kwargs), **Scorer.score_sents(examples, **kwargs)}

    @staticmethod
    def score_sents(examples: Iterable[Example], **_: Any) -> dict[str, float | None]:
        """Sentence boundaries as character spans."""
        prf = PRFScore()
        seen = False
        for ex in examples:
            ref = ex.reference
            if not (ref.has_annotation("SENT_START") or ref.has_annotation("DEP")):
                continue
            seen = True
            gold = {(s.start_char, s.end_char) for s in ref.sents}
            pred = {(s.start_char, s.end_char) for s in ex.predicted.sents}
            prf.score_set(pred, gold)
        if not seen:
            return {"sents_p": None, "sents_r": None, "sents_f": None}
        return {"sents_p": prf.precision, "sents_r": prf.recall, "sents_f": prf.fscore}

    @staticmethod
    def score_spans(
        examples: Iterable[Example],
        attr: str = "ents",
        *,
        getter: Callable[[Doc, str], Iterable[TokenSpan]] | None = None,
        has_annotation: Callable[[Doc], bool] | None = None,
        labeled: bool = True,
        **_: Any,
    ) -> dict[str, Any]:
        """P/R/F over labelled character spans, overall and per label.

        For entities, predicted spans that touch tokens whose gold entity value is
        missing are not counted: partial annotation must not be scored as errors.
        """
        if getter is None:

            def getter(doc: Doc, name: str) -> Iterable[TokenSpan]:
                return doc.ents if name == "ents" else doc.spans.get(name, [])

        if has_annotation is None:

            def has_annotation(doc: Doc) -> bool:
                if attr == "ents":
                    return bool(doc.has_annotation("ENT_IOB"))
                return attr in doc.spans

        total = PRFScore()
        per_type: dict[str, PRFScore] = defaultdict(PRFScore)
        seen = False
        for ex in examples:
            if not has_annotation(ex.reference):
                continue
            seen = True
            missing = _missing_ent_chars(ex.reference) if attr == "ents" else None
            gold = {_span_key(s, labeled) for s in getter(ex.reference, attr)}
            pred = set()
            for s in getter(ex.predicted, attr):
                if missing is not None and missing[s.start_char : s.end_char].any():
                    continue
                pred.add(_span_key(s, labeled))
            total.score_set(pred, gold)
            for label in {k[2] for k in gold | pred}:
                per_type[label].score_set(
                    {k for k in pred if k[2] == label}, {k for k in gold if k[2] == label}
                )
        if not seen:
            return {f"{attr}_p": None, f"{attr}_r": None, f"{attr}_f": None, f"{attr}_per_type": None}
        return {
            f"{attr}_p": total.precision,
            f"{attr}_r": total.recall,
            f"{attr}_f": total.fscore,
            f"{attr}_per_type": {k: v.to_dict() for k, v in sorted(per_type.items())},
        }

    # --- dependencies -----------------------------------------------------------------

    @staticmethod
    def score_deps(
        examples: Iterable[Example],
        attr: str = "dep",
        *,
        ignore_labels: Sequence[str] = DEFAULT_DEP_IGNORE,
        **_: Any,
    ) -> dict[str, Any]:
        """Unlabelled and labelled attachment scores over gold tokens with a head.

        Heads are compared by character span, so attachment survives tokenization
        differences elsewhere in the sentence. Punctuation is left out by default.
        """
        ignore = set(ignore_labels)
        correct_heads = correct_labeled = total = 0
        per_type: dict[str, PRFScore] = defaultdict(PRFScore)
        seen = False
        for ex in examples:
            ref = ex.reference
            if not ref.has_annotation("DEP"):
                continue
            seen = True
            pred_index = _span_index(ex.predicted)
            pred_arcs: dict[str, set] = defaultdict(set)
            gold_arcs: dict[str, set] = defaultdict(set)
            for gold_token in ref:
                label = gold_token.dep_.lower()
                if not gold_token.dep_ or label in ignore:
                    continue
                span = _token_span(gold_token)
                gold_head = _token_span(gold_token.head)
                gold_arcs[label].add((span, gold_head))
                total += 1
                i = pred_index.get(span)
                if i is None:
                    continue
                pred_token = ex.predicted[i]
                pred_head = _token_span(pred_token.head)
                pred_label = pred_token.dep_.lower()
                if pred_label not in ignore and pred_token.dep_:
                    pred_arcs[pred_label].add((span, pred_head))
                if pred_head == gold_head:
                    correct_heads += 1
                    if pred_label == label:
                        correct_labeled += 1
            for label in set(gold_arcs) | set(pred_arcs):
                per_type[label].score_set(pred_arcs[label], gold_arcs[label])
        if not seen:
            return {f"{attr}_uas": None, f"{attr}_las": None, f"{attr}_las_per_type": None}
        return {
            f"{attr}_uas": correct_heads / total if total else 0.0,
            f"{attr}_las": correct_labeled / total if total else 0.0,
            f"{attr}_las_per_type": {k: v.to_dict() for k, v in sorted(per_type.items())},
        }

    # --- text classification ----------------------------------------------------------

    @staticmethod
    def score_cats(
        examples: Iterable[Example],
        attr: str = "cats",
        *,
        labels: Sequence[str] = (),
        multi_label: bool = True,
        positive_label: str | None = None,
        threshold: float | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Per-label P/R/F and ROC AUC; ``cats_score`` is the headline figure.

        Exclusive classes: the top-scoring label is the prediction and ``cats_score`` is
        the macro F (or the positive label's F for a binary task with
        ``positive_label``). Multi-label: a label is predicted when its score reaches
        ``threshold`` (0.5) and ``cats_score`` is the macro AUC.
        """
        threshold = 0.5 if threshold is None else threshold
        examples = list(examples)
        label_set = list(labels) or sorted(
            {lbl for ex in examples for lbl in ex.reference.cats}
            | {lbl for ex in examples for lbl in ex.predicted.cats}
        )
        prf = {label: PRFScore() for label in label_set}
        gold_scores: dict[str, list[float]] = {label: [] for label in label_set}
        pred_scores: dict[str, list[float]] = {label: [] for label in label_set}
        for ex in examples:
            gold = ex.reference.cats
            pred = ex.predicted.cats
            if not gold:
                continue
            if multi_label:
                chosen = {lbl for lbl in label_set if pred.get(lbl, 0.0) >= threshold}
            else:
                best = max(label_set, key=lambda lbl: pred.get(lbl, 0.0)) if label_set else None
                chosen = {best} if best is not None and pred.get(best, 0.0) > 0 else set()
            for label in label_set:
                if label not in gold:
                    continue  # missing value for this label
                is_gold = gold[label] >= 0.5
                gold_scores[label].append(float(is_gold))
                pred_scores[label].append(float(pred.get(label, 0.0)))
                if label in chosen and is_gold:
                    prf[label].tp += 1
                elif label in chosen:
                    prf[label].fp += 1
                elif is_gold:
                    prf[label].fn += 1
        micro = PRFScore()
        for score in prf.values():
            micro += score
        n = len(label_set) or 1
        macro_p = sum(s.precision for s in prf.values()) / n
        macro_r = sum(s.recall for s in prf.values()) / n
        macro_f = sum(s.fscore for s in prf.values()) / n
        auc_per_type = {
            label: roc_auc(gold_scores[label], pred_scores[label]) for label in label_set
        }
        valid_aucs = [a for a in auc_per_type.values() if a is not None]
        macro_auc = sum(valid_aucs) / len(valid_aucs) if valid_aucs else None
        results: dict[str, Any] = {
            f"{attr}_micro_p": micro.precision,
            f"{attr}_micro_r": micro.recall,
            f"{attr}_micro_f": micro.fscore,
            f"{attr}_macro_p": macro_p,
            f"{attr}_macro_r": macro_r,
            f"{attr}_macro_f": macro_f,
            f"{attr}_macro_auc": macro_auc,
            f"{attr}_f_per_type": {k: v.to_dict() for k, v in prf.items()},
            f"{attr}_auc_per_type": auc_per_type,
        }
        if not any(gold_scores.values()):
            results[f"{attr}_score"] = None
            results[f"{attr}_score_desc"] = None
        elif multi_label:
            results[f"{attr}_score"] = macro_auc
            results[f"{attr}_score_desc"] = "macro AUC"
        elif positive_label is not None and len(label_set) == 2:
            results[f"{attr}_score"] = prf[positive_label].fscore
            results[f"{attr}_score_desc"] = f"F ({positive_label})"
        else:
            results[f"{attr}_score"] = macro_f
            results[f"{attr}_score_desc"] = "macro F"
        return results


def roc_auc(truths: Sequence[float], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (rank statistic, ties averaged); None if one class is absent."""
    y = np.asarray(truths, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # Average ranks over ties so equal scores count half.
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _feats(morph: str) -> list[str]:
    if not morph or morph == "_":
        return []
    return [f for f in morph.split("|") if f]


def _span_key(span: TokenSpan, labeled: bool) -> tuple[int, int, str]:
    return (span.start_char, span.end_char, span.label_ if labeled else "")


def _missing_ent_chars(doc: Doc) -> np.ndarray:
    """A mask over characters covered by tokens whose gold entity value is missing."""
    mask = np.zeros(len(doc.text) + 1, dtype=bool)
    for token in doc:
        if token.ent_iob_ == "":
            mask[token.idx : token.idx + len(token.text)] = True
    return mask


def get_score_weights(weights_by_component: Iterable[dict[str, float | None]]) -> dict[str, float | None]:
    """Combine components' default score weights, normalizing the non-null ones to sum to 1.

    Each component's weights are first normalized among themselves so every component
    counts equally, then the whole set is normalized again.
    """
    combined: dict[str, float | None] = {}
    per_component = [dict(w) for w in weights_by_component]
    n = sum(1 for w in per_component if any(v for v in w.values() if v is not None))
    for weights in per_component:
        total = sum(v for v in weights.values() if v is not None)
        for key, value in weights.items():
            if value is None:
                combined.setdefault(key, None)
            else:
                share = (value / total) / n if total and n else 0.0
                combined[key] = round((combined.get(key) or 0.0) + share, 4)
    return combined


def weighted_score(scores: dict[str, Any], weights: dict[str, float | None]) -> float:
    """The single figure that picks the best model: the weighted sum of the scores."""
    total = 0.0
    for key, weight in weights.items():
        if weight is None or weight == 0:
            continue
        value = scores.get(key)
        if value is None:
            continue
        total += weight * float(value)
    return total


def evaluate(
    nlp: Language,
    examples: Iterable[Example],
    *,
    batch_size: int | None = None,
    scorer_cfg: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``nlp`` over the Examples' texts and score the predictions against their
    references: every component's scores, tokenization, and ``speed`` (words per
    second of the pipeline run). The Examples' own predicted Docs are left as they
    were: fresh Docs with the same tokens are annotated."""
    examples = list(examples)
    for i, eg in enumerate(examples):
        if not hasattr(eg, "predicted") or not hasattr(eg, "reference"):
            raise DataError(
                f"nlp.evaluate expects Example objects, got {type(eg).__name__} at position {i}."
            )
    size = batch_size if batch_size is not None else nlp.batch_size
    fresh = []
    for eg in examples:
        x = eg.predicted
        new = Example(Doc(nlp.vocab, words=list(x.words), spaces=list(x.spaces)), eg.reference)
        new._alignment = eg._alignment  # same tokens: the alignment still holds
        fresh.append(new)
    start = time.perf_counter()
    docs = list(nlp.pipe([eg.predicted for eg in fresh], batch_size=size))
    seconds = time.perf_counter() - start
    for eg, doc in zip(fresh, docs, strict=True):
        eg.predicted = doc
    n_words = sum(len(doc) for doc in docs)
    scores = Scorer(nlp, **dict(scorer_cfg or {})).score(fresh)
    scores["speed"] = n_words / seconds if seconds > 0 else 0.0
    return scores
