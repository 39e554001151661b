"""The optional ``transformers`` dependency, imported only when a feature needs it.

``import treadle.transformers`` must work without the extra installed (the registry
imports this package to find its span getters and poolings), so nothing here imports
Hugging Face at load time.
"""

from __future__ import annotations

from types import ModuleType

from treadle.errors import MissingDependencyError

INSTALL_HINT = 'pip install "treadle[transformers]"'


def require_transformers() -> ModuleType:
    """Return the ``transformers`` module, or raise a clear error naming the extra."""
    try:
        import transformers
    except ImportError as err:
        raise MissingDependencyError(
            "This feature needs the Hugging Face `transformers` package, which is not "
            f"installed. Install treadle's transformers extra: {INSTALL_HINT}"
        ) from err
    return transformers
