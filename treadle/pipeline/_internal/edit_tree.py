"""Edit trees: how to turn a word form into its lemma, as a reusable rule.

The idea (Chrupała et al. 2008, Müller et al. 2015): find the longest common substring
(LCS) of form and lemma. The part of the form before it and the part after it are
edited recursively; the LCS itself is copied. When form and lemma share nothing, a leaf
says "replace this exact string by that one". Only the *lengths* of the prefix and
suffix are stored in a match node, not their text, so one tree covers every word that
inflects the same way:

    walked -> walk    match(prefix 0, suffix 2, -, replace("ed" -> ""))
    jumped -> jump    the same tree
    went   -> go      replace("went" -> "go")
    unhappier -> happy  match(2, 3, replace("un" -> ""), replace("ier" -> "y"))

A tree *applies* to a form when every leaf's string matches the part of the form it
sees and every match node leaves a non-empty middle to copy; otherwise ``apply``
returns None (the lemmatizer then tries its next-best tree).

Nodes are interned in an :class:`EditTrees` store: equal subtrees get one id, so a tree
id is simply the id of its root node. Ids are positions in the store, stable across
serialization (JSON or msgpack).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgpack

from treadle.errors import SerializationError

NONE = -1  # "no subtree": the prefix/suffix on both sides is empty
MATCH = 0
REPLACE = 1

# A node is a tuple, hashable so equal nodes intern to one id:
#   (MATCH, prefix_len, suffix_len, prefix_tree, suffix_tree)
#   (REPLACE, orig, subst)
Node = tuple

# Bound on the apply cache; cleared when full (memory stays flat on endless input).
CACHE_LIMIT = 1_000_000


def longest_common_substring(a: str, b: str) -> tuple[int, int, int]:
    """``(start in a, start in b, length)`` of the longest common substring; the
    leftmost in ``a`` (then in ``b``) among equally long ones; length 0 if none."""
    best_len = best_a = best_b = 0
    if not a or not b:
        return 0, 0, 0
    # Classic dynamic programme over suffix-match lengths, one row at a time.
    prev = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                n = prev[j - 1] + 1
                cur[j] = n
                if n > best_len:
                    best_len, best_a, best_b = n, i - n, j - n
        prev = cur
    return best_a, best_b, best_len


class EditTrees:
    """An interning store of edit-tree nodes.

    ``add(form, lemma) -> tree id`` (the same id for every pair that edits alike),
    ``apply(tree_id, form) -> lemma | None``, ``find(form, lemma) -> id | None``
    (without adding), ``tree_to_str(tree_id)``, ``to_json``/``from_json``,
    ``to_bytes``/``from_bytes``.
    """

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._ids: dict[Node, int] = {}
        self._pair_cache: dict[tuple[str, str], int] = {}
        self._apply_cache: dict[tuple[int, str], str | None] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, tree_id: object) -> bool:
        return isinstance(tree_id, int) and 0 <= tree_id < len(self.nodes)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.nodes)))

    # ------------------------------------------------------------------ building

    def add(self, form: str, lemma: str) -> int:
        """The id of the tree that rewrites ``form`` into ``lemma`` (added if new)."""
        key = (form, lemma)
        tree = self._pair_cache.get(key)
        if tree is None:
            tree = self._build(form, lemma, insert=True)
            assert tree is not None
            self._pair_cache[key] = tree
        return tree

    def find(self, form: str, lemma: str) -> int | None:
        """The id of the tree for ``form -> lemma`` if the store has it, else None."""
        tree = self._pair_cache.get((form, lemma))
        if tree is not None:
            return tree
        return self._build(form, lemma, insert=False)

    def _intern(self, node: Node, insert: bool) -> int | None:
        node_id = self._ids.get(node)
        if node_id is None and insert:
            node_id = len(self.nodes)
            self.nodes.append(node)
            self._ids[node] = node_id
        return node_id

    def _build(self, form: str, lemma: str, insert: bool) -> int | None:
        fa, la, n = longest_common_substring(form, lemma)
        if n == 0:
            return self._intern((REPLACE, form, lemma), insert)
        prefix_tree = suffix_tree = NONE
        if fa or la:
            found = self._build(form[:fa], lemma[:la], insert)
            if found is None:
                return None
            prefix_tree = found
        if fa + n < len(form) or la + n < len(lemma):
            found = self._build(form[fa + n :], lemma[la + n :], insert)
            if found is None:
                return None
            suffix_tree = found
        suffix_len = len(form) - fa - n
        return self._intern((MATCH, fa, suffix_len, prefix_tree, suffix_tree), insert)

    # ------------------------------------------------------------------ applying

    def apply(self, tree_id: int, form: str) -> str | None:
        """The lemma tree ``tree_id`` makes of ``form``, or None if it doesn't apply."""
        key = (tree_id, form)
        cache = self._apply_cache
        if key in cache:
            return cache[key]
        if not 0 <= tree_id < len(self.nodes):
            raise IndexError(f"edit tree {tree_id} is not in the store ({len(self.nodes)} nodes)")
        result = self._apply(tree_id, form)
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[key] = result
        return result

    def _apply(self, tree_id: int, form: str) -> str | None:
        node = self.nodes[tree_id]
        if node[0] == REPLACE:
            return node[2] if form == node[1] else None
        _, plen, slen, ptree, stree = node
        end = len(form) - slen
        if end - plen < 1:  # the copied middle would be empty
            return None
        if ptree == NONE:
            head = ""
        else:
            head = self._apply(ptree, form[:plen])
            if head is None:
                return None
        if stree == NONE:
            tail = ""
        else:
            tail = self._apply(stree, form[end:])
            if tail is None:
                return None
        return head + form[plen:end] + tail

    # ------------------------------------------------------------------ inspecting

    def tree_to_str(self, tree_id: int) -> str:
        """A readable rendering, e.g. ``(m 0 2 () (r 'ed' ''))``."""
        if tree_id == NONE:
            return "()"
        node = self.nodes[tree_id]
        if node[0] == REPLACE:
            return f"(r {node[1]!r} {node[2]!r})"
        _, plen, slen, ptree, stree = node
        return f"(m {plen} {slen} {self.tree_to_str(ptree)} {self.tree_to_str(stree)})"

    def subtree_ids(self, tree_id: int) -> list[int]:
        """``tree_id`` and every node below it, children before parents."""
        out: list[int] = []

        def walk(i: int) -> None:
            node = self.nodes[i]
            if node[0] == MATCH:
                for child in (node[3], node[4]):
                    if child != NONE:
                        walk(child)
            if i not in out:
                out.append(i)

        walk(tree_id)
        return out

    # ------------------------------------------------------------------ serialization

    def to_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for node in self.nodes:
            if node[0] == REPLACE:
                out.append({"orig": node[1], "subst": node[2]})
            else:
                out.append(
                    {"prefix_len": node[1], "suffix_len": node[2], "prefix_tree": node[3], "suffix_tree": node[4]}
                )
        return out

    def from_json(self, data: Any, *, where: str = "edit trees") -> EditTrees:
        """Replace the store's contents with ``data`` (as written by ``to_json``)."""
        if not isinstance(data, list):
            raise SerializationError(f"{where}: expected a list of nodes, got {type(data).__name__}")
        nodes: list[Node] = []
        for i, item in enumerate(data):
            nodes.append(_node_from_json(item, i, where))
        self.nodes = nodes
        self._ids = {node: i for i, node in enumerate(nodes)}
        self._pair_cache.clear()
        self._apply_cache.clear()
        return self

    def to_bytes(self) -> bytes:
        return msgpack.packb(self.to_json(), use_bin_type=True)

    def from_bytes(self, data: bytes, *, where: str = "edit trees") -> EditTrees:
        try:
            msg = msgpack.unpackb(data, raw=False)
        except Exception as err:
            raise SerializationError(f"{where}: could not read msgpack data: {err}") from err
        return self.from_json(msg, where=where)


def _node_from_json(item: Any, i: int, where: str) -> Node:
    bad = SerializationError(f"{where}: node {i} is malformed: {item!r}")
    if not isinstance(item, dict):
        raise bad
    if "orig" in item:
        orig, subst = item.get("orig"), item.get("subst")
        if not isinstance(orig, str) or not isinstance(subst, str):
            raise bad
        return (REPLACE, orig, subst)
    try:
        plen, slen = int(item["prefix_len"]), int(item["suffix_len"])
        ptree, stree = int(item["prefix_tree"]), int(item["suffix_tree"])
    except (KeyError, TypeError, ValueError):
        raise bad from None
    # Children come before their parents, so a valid store has no forward references.
    if plen < 0 or slen < 0 or not (NONE <= ptree < i) or not (NONE <= stree < i):
        raise bad
    return (MATCH, plen, slen, ptree, stree)
