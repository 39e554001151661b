"""treadle.transformers: the bridge to Hugging Face models (issue 12).

``transformers`` itself is imported lazily (:func:`require_transformers`), so this
package imports without the extra.
"""

from treadle.transformers._deps import INSTALL_HINT, require_transformers

__all__ = ["INSTALL_HINT", "require_transformers"]
