"""Projectivizing and deprojectivizing dependency trees."""

from pathlib import Path

import pytest

from tests.helpers import SAMPLE_DATA
from tests.tokens.helpers import HEADS, LABELS
from treadle.tokens.nonproj import (
    contains_cycle,
    decompose,
    deprojectivize,
    is_nonproj_arc,
    is_nonproj_tree,
    projectivize,
)


def test_nonprojective_arc_detection():
    assert is_nonproj_arc(6, HEADS)
    assert not is_nonproj_arc(1, HEADS)
    assert not is_nonproj_arc(3, HEADS)  # the root
    assert is_nonproj_tree(HEADS)
    assert not is_nonproj_tree([1, 1, 1])
    assert not is_nonproj_tree([1, None, 1])  # missing heads: not judged


def test_projectivize_lifts_and_decorates():
    heads, labels = projectivize(HEADS, LABELS)
    assert not is_nonproj_tree(heads)
    assert heads[6] == 3  # lifted to the head's head
    assert labels[6] == "nmod||nsubj:pass"
    assert decompose(labels[6]) == ("nmod", "nsubj:pass")
    assert [h for i, h in enumerate(heads) if i != 6] == [h for i, h in enumerate(HEADS) if i != 6]


def test_deprojectivize_restores_the_tree():
    heads, labels = deprojectivize(*projectivize(HEADS, LABELS))
    assert heads == HEADS
    assert labels == LABELS


def test_projective_tree_is_untouched():
    heads = [1, 1, 1, 4, 2]
    labels = ["nsubj", "root", "obj", "det", "nmod"]
    assert projectivize(heads, labels) == (heads, labels)
    assert deprojectivize(heads, labels) == (heads, labels)


def test_missing_heads_and_cycles_are_left_alone():
    heads = [1, 3, None, 3, 6, 6, 1, 3, 3]
    assert projectivize(heads, LABELS) == (heads, LABELS)
    assert contains_cycle([1, 0, 2]) == {0, 1}
    assert contains_cycle(HEADS) is None
    assert projectivize([1, 0, 2], ["a", "b", "root"]) == ([1, 0, 2], ["a", "b", "root"])


def test_deprojectivize_without_a_matching_head_strips_the_decoration():
    heads = [1, 1, 1]
    labels = ["nsubj", "root", "obj||nowhere"]
    assert deprojectivize(heads, labels) == (heads, ["nsubj", "root", "obj"])


def test_several_sentences_in_one_list():
    heads = HEADS + [h + len(HEADS) for h in HEADS]
    labels = LABELS + LABELS
    proj_heads, proj_labels = projectivize(heads, labels)
    assert not is_nonproj_tree(proj_heads)
    assert deprojectivize(proj_heads, proj_labels) == (heads, labels)


def _read_trees(path: Path):
    sent: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf8").splitlines():
        if not line:
            if sent:
                yield [h for h, _ in sent], [lbl for _, lbl in sent]
            sent = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if "-" in cols[0] or "." in cols[0]:
            continue
        i, head = int(cols[0]) - 1, int(cols[6])
        sent.append((i if head == 0 else head - 1, cols[7]))


def test_round_trip_on_the_sample_treebank():
    path = SAMPLE_DATA / "ewt-sample-train.conllu"
    nonproj = restored = 0
    for heads, labels in _read_trees(path):
        proj_heads, proj_labels = projectivize(heads, labels)
        assert not is_nonproj_tree(proj_heads)
        if not is_nonproj_tree(heads):
            assert (proj_heads, proj_labels) == (heads, labels)
            continue
        nonproj += 1
        restored += deprojectivize(proj_heads, proj_labels) == (heads, labels)
    assert nonproj >= 10
    assert restored / nonproj >= 0.85, (restored, nonproj)


@pytest.mark.parametrize("heads", [[0], [1, 1], [2, 2, 2, 2]])
def test_tiny_trees(heads):
    labels = ["x"] * len(heads)
    assert deprojectivize(*projectivize(heads, labels)) == (heads, labels)
