"""Check training and development data before training (``treadle debug data``).

``debug_data(config)`` reads the train and dev corpora through the config's readers
(with the ``nlp`` object the config builds, so the predicted Docs are tokenized as in
training), counts what the data holds, and runs checks that catch the usual problems:
labels seen too rarely to learn, dev labels the model can never predict, lemmas no
kept edit tree produces, entity
spans that do not fall on token boundaries, empty documents, texts in both splits,
documents with no annotation for a component that is trained on them.

The result is a ``DataReport``: statistics per split and a list of ``Finding``s, each
with a level (error, warning, info, ok), a stable check id and a message. The CLI only
prints it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from treadle.config import Config, registry
from treadle.errors import ConfigError
from treadle.language import Language
from treadle.pipeline._internal.edit_tree import EditTrees
from treadle.tokens import DocBin
from treadle.tokens import attrs as A
from treadle.tokens.parts_of_speech import UPOS_NAMES
from treadle.training.corpus import Corpus, Reader, walk_corpus

if TYPE_CHECKING:
    from treadle.tokens import Span
    from treadle.tokens.example import Example

ERROR, WARNING, INFO, OK = "error", "warning", "info", "ok"

LOW_COUNT = 20
"""Labels with fewer training examples than this are reported."""

# Kinds of annotation the checks know, with the title their section is printed under.
KIND_TITLES: dict[str, str] = {
    "tag": "Fine-grained tags (TAG)",
    "pos": "Coarse part-of-speech tags (POS)",
    "morph": "Morphological features (MORPH)",
    "lemma": "Lemmas",
    "dep": "Dependency labels (DEP)",
    "ent": "Named entities",
    "cat": "Text categories",
    "sent": "Sentence boundaries",
}

# Which annotation each built-in trainable factory learns from. Later components add
# an entry; a factory not listed here is reported as "no data checks".
FACTORY_KINDS: dict[str, tuple[str, ...]] = {
    "tagger": ("tag",),
    "morphologizer": ("morph", "pos"),
    "trainable_lemmatizer": ("lemma",),
    "parser": ("dep",),
    "biaffine_parser": ("dep",),
    "ner": ("ent",),
    "textcat": ("cat",),
    "textcat_multilabel": ("cat",),
    "senter": ("sent",),
}

# A dev label missing from train can never be predicted. Only for whole-text categories
# is that an error (the dev score then measures a task the model was never given); a
# rare tag or feature set missing from train is normal in a treebank (UD EWT's dev has
# 11 MORPH values its train lacks) and costs a few dev tokens, so it is a warning.
UNSEEN_IS_ERROR = frozenset({"cat"})
# Below this share of dev lemmas within reach of a kept edit tree, say so loudly.
LEMMA_COVERAGE_WARN = 0.9
# Kinds whose values are labels worth counting (lemmas and sentence starts are not).
LABEL_KINDS = ("tag", "pos", "morph", "dep", "ent", "cat")

_TOKEN_ATTRS = {"tag": "TAG", "pos": "POS", "morph": "MORPH", "lemma": "LEMMA", "dep": "DEP"}


@dataclass
class Finding:
    """One result of a check."""

    level: str
    check: str
    message: str
    section: str = "General"
    details: list[str] = field(default_factory=list)


@dataclass
class CorpusStats:
    """What one split of the data holds (counted on the reference Docs)."""

    n_docs: int = 0
    n_words: int = 0
    n_sents: int = 0
    n_docs_with_sents: int = 0
    n_empty: int = 0
    words: Counter = field(default_factory=Counter)
    # kind -> label -> count (tokens for token kinds, spans for ents, docs for cats)
    labels: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in LABEL_KINDS})
    # kind -> number of docs that carry that annotation
    annotated_docs: Counter = field(default_factory=Counter)
    texts: Counter = field(default_factory=Counter)
    n_ents: int = 0
    misaligned_ents: list[str] = field(default_factory=list)
    n_misaligned_ents: int = 0
    cats_not_one_positive: int = 0
    # (form, lemma) -> tokens, over the tokens that have a lemma
    lemma_pairs: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_docs": self.n_docs,
            "n_words": self.n_words,
            "n_unique_words": len(self.words),
            "n_sents": self.n_sents,
            "n_empty": self.n_empty,
            "n_ents": self.n_ents,
            "n_misaligned_ents": self.n_misaligned_ents,
            "annotated_docs": dict(self.annotated_docs),
            "labels": {k: dict(v) for k, v in self.labels.items() if v},
        }


@dataclass
class DataReport:
    lang: str
    pipeline: list[tuple[str, str]]
    trained: list[str]
    train: CorpusStats
    dev: CorpusStats
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    def has(self, check: str, level: str | None = None) -> bool:
        return any(f.check == check and (level is None or f.level == level) for f in self.findings)

    def sections(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for finding in self.findings:
            out.setdefault(finding.section, []).append(finding)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "pipeline": [list(p) for p in self.pipeline],
            "trained": self.trained,
            "train": self.train.to_dict(),
            "dev": self.dev.to_dict(),
            "findings": [f.__dict__ for f in self.findings],
        }


# ---------------------------------------------------------------------- counting


def collect_stats(examples: Iterable[Example], *, max_details: int = 10) -> CorpusStats:
    """Count words, labels and problems over ``Example``s (reference side; the
    predicted side only for entity alignment)."""
    stats = CorpusStats()
    hashes: dict[str, Counter] = {kind: Counter() for kind in _TOKEN_ATTRS}
    word_hashes: Counter = Counter()
    pair_hashes: Counter = Counter()
    strings = None
    for eg in examples:
        ref = eg.reference
        strings = ref.vocab.strings
        stats.n_docs += 1
        n = len(ref)
        stats.texts[ref.text.strip()] += 1
        if n == 0 or not ref.text.strip():
            stats.n_empty += 1
            continue
        stats.n_words += n
        word_hashes.update(ref.count_by(A.ORTH))
        for kind, attr in _TOKEN_ATTRS.items():
            if ref.has_annotation(attr):
                stats.annotated_docs[kind] += 1
                if kind == "lemma":
                    pair_hashes.update(map(tuple, ref.to_array([A.ORTH, A.LEMMA]).tolist()))
                else:
                    counts = ref.count_by(attr)
                    counts.pop(0, None)  # 0 = missing value
                    hashes[kind].update(counts)
        if ref.has_annotation("SENT_START"):
            stats.annotated_docs["sent"] += 1
            stats.n_docs_with_sents += 1
            stats.n_sents += sum(1 for _ in ref.sents)
        if ref.has_annotation("ENT_IOB"):
            stats.annotated_docs["ent"] += 1
            ents = ref.ents
            stats.n_ents += len(ents)
            stats.labels["ent"].update(ent.label_ for ent in ents)
            if ents:
                _check_ent_alignment(eg, ents, stats, max_details)
        if ref.cats:
            stats.annotated_docs["cat"] += 1
            positives = [label for label, value in ref.cats.items() if value >= 0.5]
            stats.labels["cat"].update(positives)
            if len(positives) != 1:
                stats.cats_not_one_positive += 1
    if strings is not None:
        for kind, counts in hashes.items():
            if kind == "lemma":
                continue
            # POS values are ids of the fixed UPOS list, not string hashes.
            name = _upos_name if kind == "pos" else (lambda h: _string(strings, h))
            stats.labels[kind] = Counter({name(h): c for h, c in counts.items()})
        stats.words = Counter({_string(strings, h): c for h, c in word_hashes.items()})
        stats.lemma_pairs = Counter(
            {
                (_string(strings, form), _string(strings, lemma)): c
                for (form, lemma), c in pair_hashes.items()
                if lemma  # 0: this token's lemma is missing
            }
        )
    return stats


def _upos_name(pos_id: int) -> str:
    return UPOS_NAMES[pos_id] if 0 <= pos_id < len(UPOS_NAMES) else f"#{pos_id}"


def _string(strings: Any, key: int) -> str:
    try:
        return str(strings[key])
    except KeyError:
        return f"#{key}"


def _check_ent_alignment(eg: Example, ents: Iterable[Span], stats: CorpusStats, max_details: int) -> None:
    """Gold entity spans must start and end on the predicted tokenization's token
    boundaries; otherwise the entity cannot be learned from this example."""
    pred = eg.predicted
    starts = {t.idx for t in pred}
    ends = {t.idx + len(t.text) for t in pred}
    for ent in ents:
        if ent.start_char not in starts or ent.end_char not in ends:
            stats.n_misaligned_ents += 1
            if len(stats.misaligned_ents) < max_details:
                tokens = " | ".join(
                    t.text
                    for t in pred
                    if t.idx < ent.end_char and t.idx + len(t.text) > ent.start_char
                )
                stats.misaligned_ents.append(
                    f"{ent.text!r} ({ent.label_}, chars {ent.start_char}-{ent.end_char}); "
                    f"tokens: {tokens}"
                )


# ---------------------------------------------------------------------- loading


def _dotted(config: Mapping[str, Any], dotted: str, key: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigError(f"{key} = {dotted!r}: the config has no such section.")
        node = node[part]
    return node


def load_corpora(config: Mapping[str, Any]) -> tuple[Language, Reader, Reader]:
    """``(nlp, train_reader, dev_reader)`` from a config (interpolated or not)."""
    config = Config(config) if not isinstance(config, Config) else config
    if not config.is_interpolated:
        config = config.interpolate()
    training = config.get("training", {}) or {}
    train_key = training.get("train_corpus", "corpora.train")
    dev_key = training.get("dev_corpus", "corpora.dev")
    blocks = {
        "train": _dotted(config, train_key, "training.train_corpus"),
        "dev": _dotted(config, dev_key, "training.dev_corpus"),
    }
    resolved = registry.resolve({"debug_corpora": blocks})["debug_corpora"]
    nlp = Language.from_config(config)
    return nlp, resolved["train"], resolved["dev"]


def _count_dropped_empty_docs(reader: Reader, nlp: Language) -> int:
    """Docs with no tokens in the files of a ``.docbin`` reader: the reader skips them,
    so they never reach the examples, but they point at a conversion problem."""
    if not isinstance(reader, Corpus):
        return 0
    n = 0
    for path in walk_corpus(reader.path):
        n += sum(1 for doc in DocBin().from_disk(path).get_docs(nlp.vocab) if len(doc) == 0)
    return n


# ---------------------------------------------------------------------- checks


def debug_data(config: Mapping[str, Any], *, low_count: int = LOW_COUNT) -> DataReport:
    """Read the corpora the config names and check them (see the module docstring)."""
    nlp, train_reader, dev_reader = load_corpora(config)
    train = collect_stats(train_reader(nlp))
    dev = collect_stats(dev_reader(nlp))
    for reader, stats in ((train_reader, train), (dev_reader, dev)):
        dropped = _count_dropped_empty_docs(reader, nlp)
        stats.n_docs += dropped
        stats.n_empty += dropped
    training = config.get("training", {}) or {}
    frozen = set(training.get("frozen_components", []) or [])
    factories = dict(nlp.pipe_factories)
    pipeline = [(name, factories[name]) for name in nlp.pipe_names]
    trained = [name for name, _ in pipeline if name not in frozen]
    report = DataReport(lang=nlp.lang, pipeline=pipeline, trained=trained, train=train, dev=dev)
    _general_checks(report)
    for name, factory in pipeline:
        if name not in trained:
            continue
        kinds = FACTORY_KINDS.get(factory)
        if kinds is None:
            continue
        for kind in kinds:
            _component_checks(report, name, factory, kind, low_count)
        if factory == "trainable_lemmatizer" and report.train.lemma_pairs:
            cfg = getattr(nlp.get_pipe(name), "cfg", {}) or {}
            _lemma_checks(report, name, int(cfg.get("min_tree_freq", 3)))
    _entity_checks(report)
    return report


def _add(
    report: DataReport,
    level: str,
    check: str,
    message: str,
    section: str = "General",
    details: list[str] | None = None,
) -> None:
    report.findings.append(Finding(level, check, message, section, list(details or [])))


def _general_checks(report: DataReport) -> None:
    train, dev = report.train, report.dev
    if train.n_docs == 0:
        _add(report, ERROR, "corpus.empty", "The training corpus has no documents.")
    if dev.n_docs == 0:
        _add(report, ERROR, "corpus.empty", "The development corpus has no documents.")
    for split, stats in (("training", train), ("development", dev)):
        if stats.n_empty:
            _add(
                report,
                WARNING,
                "docs.empty",
                f"{stats.n_empty} empty document(s) in the {split} data (no words).",
            )
    shared = set(train.texts) & set(dev.texts)
    shared.discard("")
    if shared:
        examples = [repr(t[:60]) for t in sorted(shared)[:5]]
        _add(
            report,
            WARNING,
            "texts.overlap",
            f"{len(shared)} text(s) appear in both the training and the development data; "
            "the dev score will overstate accuracy on new text.",
            details=examples,
        )
    elif train.n_docs and dev.n_docs:
        _add(report, OK, "texts.overlap", "No overlap between training and development texts.")
    for name, factory in report.pipeline:
        if name in report.trained and factory not in FACTORY_KINDS and factory != "tok2vec":
            _add(
                report,
                INFO,
                "component.unchecked",
                f"No data checks for component {name!r} (factory {factory!r}).",
            )


def _component_checks(
    report: DataReport, name: str, factory: str, kind: str, low_count: int
) -> None:
    section = f"{KIND_TITLES[kind]} — {name}"
    train, dev = report.train, report.dev
    n_train = train.n_docs - train.n_empty
    annotated = train.annotated_docs.get(kind, 0)
    if n_train and annotated == 0:
        _add(
            report,
            ERROR,
            "annotation.none",
            f"No training document has {KIND_TITLES[kind].lower()}, which component "
            f"{name!r} ({factory}) learns from.",
            section,
        )
        return
    if annotated < n_train:
        _add(
            report,
            WARNING,
            "annotation.missing",
            f"{n_train - annotated} of {n_train} training document(s) have no "
            f"{KIND_TITLES[kind].lower()} for component {name!r}; they don't teach it "
            "anything.",
            section,
        )
    n_dev = dev.n_docs - dev.n_empty
    dev_annotated = dev.annotated_docs.get(kind, 0)
    if n_dev and dev_annotated == 0:
        _add(
            report,
            WARNING,
            "annotation.none_dev",
            f"No development document has {KIND_TITLES[kind].lower()}: component "
            f"{name!r} cannot be evaluated.",
            section,
        )
    if kind not in LABEL_KINDS:
        return
    train_labels, dev_labels = train.labels[kind], dev.labels[kind]
    _add(
        report,
        INFO,
        "labels.count",
        f"{len(train_labels)} label(s) in the training data, {len(dev_labels)} in the "
        "development data.",
        section,
        details=[f"{label}: {count}" for label, count in train_labels.most_common()],
    )
    low = sorted((c, label) for label, c in train_labels.items() if c < low_count)
    for count, label in low:
        _add(
            report,
            WARNING,
            "labels.low_count",
            f"Label {label!r} has only {count} training example(s) (< {low_count}).",
            section,
        )
    unseen = sorted(set(dev_labels) - set(train_labels))
    if unseen:
        level = ERROR if kind in UNSEEN_IS_ERROR else WARNING
        n_unseen = sum(dev_labels[label] for label in unseen)
        share = f" ({n_unseen:,} of {sum(dev_labels.values()):,} development labels)"
        _add(
            report,
            level,
            "labels.unseen_in_train",
            f"{len(unseen)} label(s) in the development data never occur in the training "
            f"data, so {name!r} can't predict them{share}: "
            f"{', '.join(map(repr, unseen[:20]))}" + (" ..." if len(unseen) > 20 else ""),
            section,
        )
    elif dev_labels:
        _add(
            report,
            OK,
            "labels.unseen_in_train",
            "Every development label occurs in the training data.",
            section,
        )
    if factory == "textcat":
        bad = train.cats_not_one_positive + dev.cats_not_one_positive
        if bad:
            _add(
                report,
                ERROR,
                "cats.not_exclusive",
                f"{bad} document(s) don't have exactly one positive category, but "
                f"{name!r} (textcat) assigns exactly one; use textcat_multilabel for "
                "texts with several or no categories.",
                section,
            )


def _lemma_checks(report: DataReport, name: str, min_tree_freq: int) -> None:
    """How far the edit trees of the training data carry a trainable lemmatizer: its
    labels are the trees seen at least ``min_tree_freq`` times, so a dev lemma no such
    tree produces from its form can only come from the backoff."""
    section = f"{KIND_TITLES['lemma']} — {name}"
    trees = EditTrees()
    tree_counts: Counter = Counter()
    for (form, lemma), count in report.train.lemma_pairs.items():
        tree_counts[trees.add(form, lemma)] += count
    kept = {tree for tree, count in tree_counts.items() if count >= min_tree_freq}
    n_train = sum(report.train.lemma_pairs.values())
    n_kept_tokens = sum(tree_counts[t] for t in kept)
    _add(
        report,
        INFO,
        "lemmas.edit_trees",
        f"{len(tree_counts)} edit tree(s) in the training data, {len(kept)} seen at least "
        f"min_tree_freq={min_tree_freq} times (the labels {name!r} learns); those cover "
        f"{n_kept_tokens / max(1, n_train):.1%} of the {n_train:,} training lemmas.",
        section,
    )
    dev_pairs = report.dev.lemma_pairs
    n_dev = sum(dev_pairs.values())
    if not n_dev:
        return
    uncovered = Counter()
    for (form, lemma), count in dev_pairs.items():
        tree = trees.find(form, lemma)
        if tree is None or tree not in kept:
            uncovered[(form, lemma)] += count
    coverage = 1 - sum(uncovered.values()) / n_dev
    _add(
        report,
        WARNING if coverage < LEMMA_COVERAGE_WARN else INFO,
        "lemmas.coverage",
        f"A kept edit tree turns the form into the lemma for {coverage:.1%} of the "
        f"{n_dev:,} development lemmas; the others get the backoff at best.",
        section,
        details=[f"{form!r} -> {lemma!r}: {c}" for (form, lemma), c in uncovered.most_common()],
    )
    train_lemmas = {lemma for _, lemma in report.train.lemma_pairs}
    unseen = Counter()
    for (_, lemma), count in dev_pairs.items():
        if lemma not in train_lemmas:
            unseen[lemma] += count
    if unseen:
        _add(
            report,
            INFO,
            "lemmas.unseen_in_train",
            f"{len(unseen):,} development lemma(s) ({sum(unseen.values()) / n_dev:.1%} of the "
            "lemma tokens) never occur as a lemma in the training data.",
            section,
            details=[f"{lemma!r}: {c}" for lemma, c in unseen.most_common()],
        )


def _entity_checks(report: DataReport) -> None:
    section = KIND_TITLES["ent"]
    for split, stats in (("training", report.train), ("development", report.dev)):
        if stats.n_misaligned_ents:
            _add(
                report,
                WARNING,
                "ents.misaligned",
                f"{stats.n_misaligned_ents} of {stats.n_ents} entity span(s) in the {split} "
                "data don't start and end on token boundaries of the tokenizer; they are "
                "lost in training (fix the offsets or the tokenizer).",
                section,
                details=stats.misaligned_ents,
            )
        elif stats.n_ents:
            _add(
                report,
                OK,
                "ents.misaligned",
                f"All {stats.n_ents} entity span(s) in the {split} data align with tokens.",
                section,
            )
