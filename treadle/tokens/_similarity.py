"""Vector norm and cosine similarity, shared by Token, Span, Doc and Lexeme."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from treadle.errors import VectorsWarning


def vector_norm(vector: np.ndarray) -> float:
    return float(np.sqrt(np.dot(vector, vector))) if vector.size else 0.0


def similarity(a: Any, b: Any) -> float:
    """Cosine of ``a.vector`` and ``b.vector``; 0.0, with a warning, when either has
    no vector (a zero vector has no direction to compare)."""
    for side in (a, b):
        if not side.has_vector:
            warnings.warn(
                f"similarity: {type(side).__name__} {str(side)!r} has no word vector, so the "
                "similarity is 0.0. Load a vectors table ([initialize] vectors, or a pipeline "
                "made by `treadle init vectors`).",
                VectorsWarning,
                stacklevel=3,
            )
            return 0.0
    va, vb = a.vector, b.vector
    na, nb = vector_norm(va), vector_norm(vb)
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(va, vb) / (na * nb))
