"""Edit trees: building, generalizing, failing to apply, interning, serialization."""

from __future__ import annotations

import json
import random

import pytest

from treadle.errors import SerializationError
from treadle.pipeline._internal.edit_tree import EditTrees, longest_common_substring


def test_suffix_tree_generalizes_across_words() -> None:
    trees = EditTrees()
    walked = trees.add("walked", "walk")
    assert trees.apply(walked, "walked") == "walk"
    assert trees.add("jumped", "jump") == walked  # same edit, same tree
    assert trees.apply(walked, "played") == "play"
    assert trees.tree_to_str(walked) == "(m 0 2 () (r 'ed' ''))"
    # and the other direction is its own tree
    walk = trees.add("walk", "walked")
    assert walk != walked and trees.apply(walk, "talk") == "talked"


def test_irregular_form_is_a_replace_leaf() -> None:
    trees = EditTrees()
    went = trees.add("went", "go")
    assert trees.tree_to_str(went) == "(r 'went' 'go')"
    assert trees.apply(went, "went") == "go"
    assert trees.apply(went, "goes") is None
    assert trees.apply(went, "Went") is None


def test_prefix_and_suffix_edits() -> None:
    trees = EditTrees()
    un = trees.add("unhappier", "happy")
    assert trees.tree_to_str(un) == "(m 2 3 (r 'un' '') (r 'ier' 'y'))"
    assert trees.apply(un, "unluckier") == "lucky"
    assert trees.apply(un, "happier") is None  # no "un" prefix to remove
    ge = trees.add("gesagt", "sagen")  # German participle: ge- ... -t -> ... -en
    assert trees.apply(ge, "gemacht") == "machen"
    assert trees.apply(ge, "macht") is None
    cap = trees.add("The", "the")
    assert trees.apply(cap, "This") == "this" and trees.apply(cap, "A") is None


def test_unicode_forms() -> None:
    trees = EditTrees()
    ru = trees.add("книги", "книга")
    assert trees.apply(ru, "ручки") == "ручка"
    de = trees.add("Häuser", "Haus")
    assert trees.apply(de, "Mäuser") == "Maus"
    emoji = trees.add("😀s", "😀")
    assert trees.apply(emoji, "🙂s") == "🙂"
    greek = trees.add("λόγοι", "λόγος")
    assert trees.apply(greek, "δρόμοι") == "δρόμος"


def test_apply_failures_return_none() -> None:
    trees = EditTrees()
    walked = trees.add("walked", "walk")
    assert trees.apply(walked, "ed") is None  # the copied middle would be empty
    assert trees.apply(walked, "d") is None
    assert trees.apply(walked, "") is None
    assert trees.apply(walked, "walks") is None  # suffix isn't "ed"
    ident = trees.add("dog", "dog")
    assert trees.tree_to_str(ident) == "(m 0 0 () ())"
    assert trees.apply(ident, "cat") == "cat" and trees.apply(ident, "") is None
    with pytest.raises(IndexError):
        trees.apply(len(trees) + 5, "cat")


def test_add_interns_and_find_does_not_add() -> None:
    trees = EditTrees()
    t = trees.add("walked", "walk")
    n = len(trees)
    assert trees.add("walked", "walk") == t and trees.add("talked", "talk") == t and len(trees) == n
    assert trees.find("kissed", "kiss") == t
    assert trees.find("mice", "mouse") is None and len(trees) == n
    # shared subtrees are interned once: "ed" -> "" appears in both trees
    t2 = trees.add("unwalked", "walk")
    assert trees.nodes[t2][3] != -1 and trees.nodes[t2][4] == trees.nodes[t][4]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_tree_of_a_pair_rebuilds_the_lemma(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "abcdeé"
    trees = EditTrees()
    for _ in range(500):
        form = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        lemma = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert trees.apply(trees.add(form, lemma), form) == lemma, (form, lemma)


def test_longest_common_substring() -> None:
    assert longest_common_substring("walked", "walk") == (0, 0, 4)
    assert longest_common_substring("abcxabcd", "zabcd") == (4, 1, 4)
    assert longest_common_substring("abxab", "ab") == (0, 0, 2)  # leftmost of equals
    assert longest_common_substring("abc", "xyz")[2] == 0
    assert longest_common_substring("", "abc") == (0, 0, 0)


def test_json_and_bytes_round_trip_keep_ids() -> None:
    trees = EditTrees()
    pairs = [("walked", "walk"), ("went", "go"), ("unhappier", "happy"), ("книги", "книга"), ("", "x")]
    ids = [trees.add(f, lemma) for f, lemma in pairs]
    copy = EditTrees().from_json(json.loads(json.dumps(trees.to_json())))
    for (f, lemma), i in zip(pairs, ids, strict=True):
        assert copy.apply(i, f) == lemma
        assert copy.tree_to_str(i) == trees.tree_to_str(i)
        assert copy.add(f, lemma) == i  # interning index restored too
    copy2 = EditTrees().from_bytes(trees.to_bytes())
    assert copy2.nodes == trees.nodes


def test_malformed_data_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="node 0"):
        EditTrees().from_json([{"prefix_len": 0, "suffix_len": 1, "prefix_tree": -1, "suffix_tree": 3}])
    with pytest.raises(SerializationError, match="node 1"):
        EditTrees().from_json([{"orig": "a", "subst": "b"}, {"orig": 1}])
    with pytest.raises(SerializationError, match="list"):
        EditTrees().from_json({"orig": "a"})
    with pytest.raises(SerializationError, match="msgpack"):
        EditTrees().from_bytes(b"\xc1\xc1")
