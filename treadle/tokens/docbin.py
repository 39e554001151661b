"""DocBin: many Docs in one compact, versioned, checksummed binary (``.docbin`` files).

The format and the stored records are :class:`~treadle.tokens.docbin_format.DocRecords`
(see that module for the file layout); DocBin adds reading Docs back with the Doc
class, and files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from treadle.errors import SerializationError
from treadle.tokens import attrs as A
from treadle.tokens.doc import Doc
from treadle.tokens.docbin_format import DEFAULT_ATTRS, FORMAT_VERSION, MAGIC, DocRecords
from treadle.tokens.vocab import Vocab
from treadle.util import atomic_write_bytes

__all__ = ["DEFAULT_ATTRS", "FORMAT_VERSION", "MAGIC", "DocBin"]


class DocBin(DocRecords):
    """``DocBin(attrs=DEFAULT_ATTRS, store_user_data=False, docs=())``."""

    def get_docs(self, vocab: Vocab) -> Iterator[Doc]:
        """Yield the Docs one at a time, with ``vocab``."""
        yield from self.iter_docs(vocab, Doc._from_array_unchecked)

    # -- files -------------------------------------------------------------------

    def to_disk(self, path: str | Path) -> None:
        """Write atomically: a temp file in the same directory, then os.replace."""
        atomic_write_bytes(path, self.to_bytes())

    def from_disk(self, path: str | Path) -> DocBin:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise SerializationError(f"Cannot read DocBin {path}: {err}") from err
        return self.from_bytes(data, source=str(path))

    def __repr__(self) -> str:
        return f"<DocBin docs={len(self)} attrs={[A.NAMES[a] for a in self.attrs]}>"
