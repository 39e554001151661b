"""Pseudo-projective parsing: lift non-projective gold trees so an arc-eager parser can
learn them, and lower the lifted arcs again in its output.

Lifting (Nivre & Nilsson 2005, "head" encoding): while the tree has a non-projective
arc, the shortest one is re-attached to its head's head. A lifted token's label records
the label of the head it was taken from, as ``"label||headlabel"``. De-lifting searches,
breadth-first below the token's current head, for a token whose label is ``headlabel``
and re-attaches there. The round trip rebuilds most non-projective trees exactly; the
parser only ever sees projective ones.

Heads are absolute token indices within one list; a root points at itself; ``None`` (or
a negative value) marks a missing head. The lists may hold several sentences (one root
each): arcs never cross sentences, so the tree test is per root.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

DELIMITER = "||"


def _has_missing(heads: Sequence[int | None]) -> bool:
    return any(h is None or h < 0 or h >= len(heads) for h in heads)


def ancestors(i: int, heads: Sequence[int]) -> list[int]:
    """The chain of heads above ``i``, stopping at a root (or at a cycle)."""
    out: list[int] = []
    seen = {i}
    head = heads[i]
    while head != i and head not in seen:
        out.append(head)
        seen.add(head)
        i, head = head, heads[head]
    return out


def contains_cycle(heads: Sequence[int]) -> set[int] | None:
    """The tokens of a cycle (a loop that does not end in a root), or None."""
    for start in range(len(heads)):
        path: list[int] = []
        on_path: set[int] = set()
        i = start
        while heads[i] != i:
            if i in on_path:
                return set(path[path.index(i):])
            path.append(i)
            on_path.add(i)
            i = heads[i]
    return None


def is_nonproj_arc(i: int, heads: Sequence[int], _above: list[set[int]] | None = None) -> bool:
    """Whether the arc into token ``i`` crosses another arc: some token between ``i``
    and its head is not dominated by that head."""
    head = heads[i]
    if head == i or head is None or head < 0:
        return False
    above = _above if _above is not None else _ancestor_sets(heads)
    start, end = (i + 1, head) if i < head else (head + 1, i)
    return any(head not in above[k] for k in range(start, end))


def _ancestor_sets(heads: Sequence[int]) -> list[set[int]]:
    return [set(ancestors(k, heads)) for k in range(len(heads))]


def is_nonproj_tree(heads: Sequence[int | None]) -> bool:
    if _has_missing(heads):
        return False
    above = _ancestor_sets(heads)  # type: ignore[arg-type]
    return any(is_nonproj_arc(i, heads, above) for i in range(len(heads)))  # type: ignore[arg-type]


def projectivize(
    heads: Sequence[int | None], labels: Sequence[str | None]
) -> tuple[list[int | None], list[str | None]]:
    """A projective tree equivalent to ``heads`` with lifted arcs' labels decorated.

    Trees with missing heads or a cycle are returned unchanged: they cannot be lifted
    safely, and the parser's oracle treats missing arcs as unconstrained anyway.
    """
    new_heads = list(heads)
    new_labels = list(labels)
    if _has_missing(heads) or contains_cycle(heads) is not None:  # type: ignore[arg-type]
        return new_heads, new_labels
    lifted_from: dict[int, str] = {}
    while True:
        smallest = _smallest_nonproj_arc(new_heads)  # type: ignore[arg-type]
        if smallest is None:
            break
        head = new_heads[smallest]
        if smallest not in lifted_from:
            lifted_from[smallest] = new_labels[head] or ""
        new_heads[smallest] = new_heads[head]
    for i, head_label in lifted_from.items():
        new_labels[i] = f"{new_labels[i]}{DELIMITER}{head_label}"
    return new_heads, new_labels


def _smallest_nonproj_arc(heads: Sequence[int]) -> int | None:
    best: int | None = None
    best_len = len(heads) + 1
    above = _ancestor_sets(heads)
    for i, head in enumerate(heads):
        length = abs(head - i)
        if 1 < length < best_len and is_nonproj_arc(i, heads, above):
            best, best_len = i, length
    return best


def decompose(label: str) -> tuple[str, str]:
    """``"obj||xcomp"`` -> (``"obj"``, ``"xcomp"``); an undecorated label -> (label, "")."""
    base, _, head_label = label.partition(DELIMITER)
    return base, head_label


def is_decorated(label: str | None) -> bool:
    return bool(label) and DELIMITER in label  # type: ignore[operator]


def deprojectivize(
    heads: Sequence[int | None], labels: Sequence[str | None]
) -> tuple[list[int | None], list[str | None]]:
    """Lower lifted arcs: each decorated token is re-attached to the first token,
    breadth-first below its current head, whose label is the recorded head label (never
    to itself or one of its own descendants). Decorations are removed either way."""
    new_heads = list(heads)
    new_labels = list(labels)
    decorated = [i for i, label in enumerate(labels) if is_decorated(label)]
    if not decorated:
        return new_heads, new_labels
    if _has_missing(heads):
        return new_heads, [decompose(lbl)[0] if is_decorated(lbl) else lbl for lbl in labels]
    children: list[list[int]] = [[] for _ in heads]
    for i, head in enumerate(new_heads):
        if head != i:
            children[head].append(i)  # type: ignore[index]
    # Shallow tokens first, so a lowered head is in place before its dependents move.
    decorated.sort(key=lambda i: len(ancestors(i, new_heads)))  # type: ignore[arg-type]
    for i in decorated:
        base, head_label = decompose(new_labels[i])  # type: ignore[arg-type]
        new_labels[i] = base
        target = _find_head(i, head_label, new_heads, new_labels, children)  # type: ignore[arg-type]
        if target is not None:
            children[new_heads[i]].remove(i)  # type: ignore[index]
            children[target].append(i)
            new_heads[i] = target
    return new_heads, new_labels


def _find_head(
    i: int, head_label: str, heads: list[int], labels: list[str | None], children: list[list[int]]
) -> int | None:
    start = heads[i]
    if start == i:
        return None
    queue = deque(c for c in sorted(children[start]) if c != i)
    while queue:
        k = queue.popleft()
        label = labels[k] or ""
        if decompose(label)[0] == head_label:
            return k
        queue.extend(c for c in sorted(children[k]) if c != i)
    return None
