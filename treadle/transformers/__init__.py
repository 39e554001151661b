"""treadle.transformers: the bridge to Hugging Face models (issue 12).

So far: the span getters (which stretches of a Doc the model reads).
``transformers`` itself is imported lazily (:func:`require_transformers`), so this
package imports without the extra.
"""

from treadle.transformers import span_getters  # noqa: F401  (registration)
from treadle.transformers._deps import INSTALL_HINT, require_transformers
from treadle.transformers.span_getters import doc_spans, sent_spans, strided_spans

__all__ = ["INSTALL_HINT", "doc_spans", "require_transformers", "sent_spans", "strided_spans"]
