"""From Docs to model inputs and back: wordpieces, windows, and averaging overlaps.

Each Doc is tokenized into wordpieces once, whole (:func:`tokenize_docs`). A span
getter's Spans then become *windows*: contiguous runs of the Doc's own wordpieces
wrapped in the model's special tokens (:func:`span_windows`), so overlapping windows
share wordpiece rows by construction, and a window longer than the model accepts is
cut into pieces that fit. After the model runs, :func:`average_windows` maps every
window position back to its Doc wordpiece and averages the positions several windows
share, giving exactly one row per Doc wordpiece.

The tokenizer is duck-typed (a Hugging Face fast tokenizer); nothing here imports
``transformers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from treadle.errors import TreadleError
from treadle.tokens import Doc, Span
from treadle.transformers.alignment import PieceAlignment, align_offsets


@dataclass(frozen=True)
class DocPieces:
    """A Doc's wordpieces (no special tokens): ids, character offsets, alignment."""

    input_ids: np.ndarray  # (n_pieces,) int64
    offsets: np.ndarray  # (n_pieces, 2) int64, relative to doc.text
    alignment: PieceAlignment  # token -> piece indices

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class Window:
    """One model input: wordpiece ids with special tokens, and for each position the
    Doc wordpiece it is (-1 for special tokens)."""

    doc_index: int
    input_ids: np.ndarray  # (length,) int64
    positions: np.ndarray  # (length,) int64

    def __len__(self) -> int:
        return len(self.input_ids)


def tokenize_docs(tokenizer: Any, docs: Sequence[Doc]) -> list[DocPieces]:
    """Wordpieces of each whole Doc, aligned to its tokens.

    No truncation: a long Doc is cut into windows afterwards, so the model-length
    warning the tokenizer would print is silenced (``verbose=False``).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise TreadleError(
            f"{type(tokenizer).__name__} is not a fast tokenizer: treadle aligns wordpieces "
            "to tokens through character offsets, which only fast (Rust) tokenizers give. "
            "Load it with use_fast=True."
        )
    if not docs:
        return []
    enc = tokenizer(
        [doc.text for doc in docs],
        add_special_tokens=False,
        return_offsets_mapping=True,
        truncation=False,
        verbose=False,
    )
    out = []
    for doc, ids, offsets in zip(docs, enc["input_ids"], enc["offset_mapping"], strict=True):
        offsets_arr = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
        out.append(
            DocPieces(np.asarray(ids, dtype=np.int64), offsets_arr, align_offsets(doc, offsets_arr))
        )
    return out


def span_piece_range(span: Span, pieces: DocPieces) -> tuple[int, int]:
    """The Doc wordpieces [start, end) under ``span``'s tokens; (0, 0) if none."""
    starts = np.concatenate([[0], np.cumsum(pieces.alignment.lengths)])
    covered = pieces.alignment.pieces[starts[span.start] : starts[span.end]]
    if len(covered) == 0:
        return 0, 0
    return int(covered.min()), int(covered.max()) + 1


def special_token_template(tokenizer: Any) -> tuple[np.ndarray, np.ndarray]:
    """The special-token ids the model puts before and after a single sequence
    ([CLS] and [SEP] for BERT, ``<s>`` and ``</s>`` for RoBERTa, none and
    ``<sep> <cls>`` for XLNet).

    Read from the tokenizer's own post-processing of a probe text, with its
    ``special_tokens_mask``: fast tokenizers add special tokens in Rust, so their
    ``build_inputs_with_special_tokens`` is not reliable, and an id-based mask would
    also flag an [UNK] piece as special.
    """
    enc = tokenizer("a", add_special_tokens=True, return_special_tokens_mask=True)
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    content = np.flatnonzero(np.asarray(enc["special_tokens_mask"]) == 0)
    if len(content) == 0:
        raise TreadleError(
            f"{type(tokenizer).__name__} marks every piece of a probe text as special; "
            "can't tell its special-token template."
        )
    return ids[: content[0]], ids[content[-1] + 1 :]


def span_windows(
    tokenizer: Any,
    spans: Sequence[Sequence[Span]],
    pieces: Sequence[DocPieces],
    max_length: int,
) -> list[Window]:
    """The windows for each Doc's spans, none longer than ``max_length`` positions
    (special tokens included). A span whose wordpieces don't fit is cut into
    consecutive chunks; a span with no wordpieces (only whitespace) gives none."""
    prefix, suffix = special_token_template(tokenizer)
    n_special = len(prefix) + len(suffix)
    body = max_length - n_special
    if body <= 0:
        raise TreadleError(
            f"max_length {max_length} leaves no room for wordpieces next to the model's "
            f"{n_special} special tokens."
        )
    if len(spans) != len(pieces):
        raise ValueError(f"{len(spans)} lists of spans but {len(pieces)} tokenized Docs")
    windows = []
    for doc_index, (doc_spans, doc_pieces) in enumerate(zip(spans, pieces, strict=True)):
        for span in doc_spans:
            start, end = span_piece_range(span, doc_pieces)
            for chunk in range(start, end, body):
                stop = min(chunk + body, end)
                ids = np.concatenate([prefix, doc_pieces.input_ids[chunk:stop], suffix])
                positions = np.concatenate(
                    [
                        np.full(len(prefix), -1, dtype=np.int64),
                        np.arange(chunk, stop, dtype=np.int64),
                        np.full(len(suffix), -1, dtype=np.int64),
                    ]
                )
                windows.append(Window(doc_index, ids, positions))
    return windows


def pad_windows(
    windows: Sequence[Window], pad_token_id: int, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``input_ids`` and ``attention_mask``, (n_windows, longest), right-padded."""
    longest = max((len(w) for w in windows), default=0)
    ids = np.full((len(windows), longest), pad_token_id, dtype=np.int64)
    mask = np.zeros((len(windows), longest), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w)] = w.input_ids
        mask[i, : len(w)] = 1
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def average_windows(
    hidden: Sequence[torch.Tensor],
    positions: Sequence[np.ndarray | torch.Tensor],
    n_rows: int,
) -> torch.Tensor:
    """One (n_rows, width) tensor from the windows of one Doc.

    ``hidden[k]``: (length_k, width) outputs of window ``k`` (padding already cut
    off); ``positions[k]``: the Doc wordpiece of each position, -1 for special
    tokens. Positions several windows share are averaged; rows no window covers are
    zeros. Differentiable (index_add), no loop per row.
    """
    if len(hidden) != len(positions):
        raise ValueError(f"{len(hidden)} window outputs but {len(positions)} position arrays")
    if not hidden:
        raise ValueError("average_windows needs at least one window, to know the width")
    device = hidden[0].device
    rows = torch.cat([torch.as_tensor(p, dtype=torch.long, device=device) for p in positions])
    data = torch.cat(list(hidden), dim=0)
    if rows.shape[0] != data.shape[0]:
        raise ValueError(f"{data.shape[0]} hidden rows but {rows.shape[0]} positions")
    keep = rows >= 0
    rows, data = rows[keep], data[keep]
    summed = data.new_zeros((n_rows, *data.shape[1:])).index_add(0, rows, data)
    counts = torch.bincount(rows, minlength=n_rows).clamp_min(1).to(data.dtype)
    return summed / counts.view(-1, *([1] * (data.dim() - 1)))
