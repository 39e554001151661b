"""``treadle.TransformerModel.v1``: a Hugging Face encoder as ``list[Doc] -> per-Doc outputs``.

:class:`TransformerModel` holds a fast tokenizer and an ``AutoModel``. Its forward
tokenizes each Doc once, whole (:func:`tokenize_docs`), cuts the span getter's Spans
into windows that fit the model (:func:`span_windows`), runs the model on padded
windows in batches of at most ``max_batch_items`` padded positions, and averages the
positions several windows share back onto the Doc's wordpieces
(:func:`average_windows`). Each Doc gets a :class:`DocTransformerOutput`: its
wordpieces, the last hidden state per wordpiece (graph attached in training) and the
token -> wordpiece alignment.

Saving: the Hugging Face config and tokenizer files travel with the component
(:meth:`TransformerModel.hf_files`, the transformer component's ``hf`` folder) and its
weights as the component's safetensors. ``treadle.load`` builds the model from those
saved files (:meth:`TransformerModel.from_saved`: hub off, no remote code, random
weights the saved ones then replace), never from ``name``, which may be a hub name or a
folder that is gone; nothing is unpickled.

``transformers`` is imported only when a model is built (:func:`require_transformers`).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from treadle.config import registry
from treadle.errors import ConfigError, SerializationError
from treadle.ml.grad_scaler import GradScaler, GradScalerSettings
from treadle.pipeline.factories import saved_component_folder
from treadle.transformers._deps import require_transformers
from treadle.transformers.alignment import PieceAlignment
from treadle.transformers.span_getters import SpanGetter
from treadle.transformers.windows import (
    DocPieces,
    Window,
    average_windows,
    pad_windows,
    span_windows,
    tokenize_docs,
)

if TYPE_CHECKING:
    from treadle.tokens import Doc

# Models whose position ids start after the padding id (RoBERTa's
# ``create_position_ids_from_input_ids``): ``pad_token_id + 1`` positions are lost.
_OFFSET_POSITION_MODELS = frozenset(
    {"roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text", "xlm-roberta-xl"}
)
# Where the transformer component saves the Hugging Face files, inside its folder.
HF_FOLDER = "hf"
# transformer_config keys that still apply when the model is built from a saved config
# (the rest either went into that config.json or only matter for downloading).
_FROM_CONFIG_KEYS = ("torch_dtype", "dtype", "attn_implementation")


@dataclass
class DocTransformerOutput:
    """What the transformer computed for one Doc."""

    input_ids: np.ndarray  # (n_pieces,) int64, the Doc's wordpieces (no special tokens)
    wordpieces: list[str]  # the same pieces as strings
    hidden: torch.Tensor  # (n_pieces, width) last hidden state per wordpiece
    alignment: PieceAlignment  # token -> wordpiece indices

    def __len__(self) -> int:
        return len(self.input_ids)

    def detach(self) -> DocTransformerOutput:
        return DocTransformerOutput(self.input_ids, self.wordpieces, self.hidden.detach(), self.alignment)


def model_max_length(config: Any, tokenizer: Any) -> int:
    """How many positions (special tokens included) one window may have."""
    n_pos = getattr(config, "max_position_embeddings", None)
    if isinstance(n_pos, int) and n_pos > 0:
        pad = getattr(config, "pad_token_id", None)
        if getattr(config, "model_type", "") in _OFFSET_POSITION_MODELS and isinstance(pad, int):
            n_pos -= pad + 1
    else:
        n_pos = None
    tok_max = getattr(tokenizer, "model_max_length", None)
    # Tokenizers without a limit report a huge sentinel (int(1e30)).
    if not isinstance(tok_max, int) or tok_max <= 0 or tok_max > 1_000_000:
        tok_max = None
    found = [n for n in (n_pos, tok_max) if n is not None]
    if not found:
        raise ConfigError(
            "TransformerModel: neither the model config (max_position_embeddings) nor the "
            "tokenizer (model_max_length) says how long an input may be."
        )
    return min(found)


class TransformerModel(torch.nn.Module):
    """A fast Hugging Face tokenizer and encoder, run over windows of each Doc."""

    def __init__(
        self,
        tokenizer: Any,
        transformer: torch.nn.Module,
        get_spans: SpanGetter,
        *,
        mixed_precision: bool = False,
        grad_scaler_config: GradScalerSettings | dict[str, Any] | None = None,
        max_batch_items: int = 4096,
        name: str = "",
    ) -> None:
        super().__init__()
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigError(
                f"TransformerModel {name!r}: {type(tokenizer).__name__} is not a fast tokenizer. "
                "treadle aligns wordpieces to tokens through character offsets, which only "
                "fast (Rust) tokenizers give; use a model that has one."
            )
        self.get_spans = get_spans
        self.name = name
        self.mixed_precision = mixed_precision
        # The training step's loss scaling under float16 (see active_grad_scaler).
        self.grad_scaler = GradScaler(grad_scaler_config)
        self.max_batch_items = max_batch_items
        self._warned_cpu_amp = False
        # The settings the tokenizer and model were loaded with, to rebuild them the
        # same way from saved files (:meth:`load_hf_files`).
        self.tokenizer_config: dict[str, Any] = {}
        self.transformer_config: dict[str, Any] = {}
        self._set_hf(tokenizer, transformer)

    def _set_hf(self, tokenizer: Any, transformer: torch.nn.Module) -> None:
        """Use this tokenizer and encoder, and what is derived from them."""
        self.tokenizer = tokenizer
        self.transformer = transformer
        config = transformer.config
        self.width = int(config.hidden_size)
        self.max_length = model_max_length(config, tokenizer)
        pad = tokenizer.pad_token_id
        self.pad_token_id = int(pad if pad is not None else 0)

    @classmethod
    def from_pretrained(
        cls,
        name: str | Path,
        get_spans: SpanGetter,
        *,
        tokenizer_config: dict[str, Any] | None = None,
        transformer_config: dict[str, Any] | None = None,
        mixed_precision: bool = False,
        grad_scaler_config: GradScalerSettings | dict[str, Any] | None = None,
    ) -> TransformerModel:
        """Load the tokenizer and encoder of a Hugging Face model name or local folder."""
        transformers = require_transformers()
        tok_cfg, trf_cfg = _checked_configs(tokenizer_config, transformer_config)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(name), use_fast=True, **tok_cfg)
        transformer = transformers.AutoModel.from_pretrained(str(name), **trf_cfg)
        model = cls(
            tokenizer,
            transformer,
            get_spans,
            mixed_precision=mixed_precision,
            grad_scaler_config=grad_scaler_config,
            name=str(name),
        )
        model.tokenizer_config, model.transformer_config = tok_cfg, trf_cfg
        return model

    @classmethod
    def from_saved(
        cls,
        folder: str | Path,
        get_spans: SpanGetter,
        *,
        tokenizer_config: dict[str, Any] | None = None,
        transformer_config: dict[str, Any] | None = None,
        mixed_precision: bool = False,
        grad_scaler_config: GradScalerSettings | dict[str, Any] | None = None,
        name: str = "",
    ) -> TransformerModel:
        """Build from the config and tokenizer files :meth:`hf_files` saved in
        ``folder``; the weights are random until the component reads its saved ones."""
        tok_cfg, trf_cfg = _checked_configs(tokenizer_config, transformer_config)
        tokenizer, transformer = _build_from_files(Path(folder), tok_cfg, trf_cfg)
        model = cls(
            tokenizer,
            transformer,
            get_spans,
            mixed_precision=mixed_precision,
            grad_scaler_config=grad_scaler_config,
            name=name or str(folder),
        )
        model.tokenizer_config, model.transformer_config = tok_cfg, trf_cfg
        return model

    # ------------------------------------------------------------------ saving

    def hf_files(self) -> dict[str, bytes]:
        """The Hugging Face config and tokenizer files (``save_pretrained``), by name:
        what the saved weights need to be read into and the wordpieces they expect."""
        with tempfile.TemporaryDirectory(prefix="treadle-hf-") as tmp:
            folder = Path(tmp)
            self.tokenizer.save_pretrained(folder)
            self.transformer.config.save_pretrained(folder)
            return {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()}

    def load_hf_files(self, files: Mapping[str, bytes], where: str) -> None:
        """Use the tokenizer and architecture that ``files`` (from :meth:`hf_files`)
        describe. A no-op when they are what this model has already (``treadle.load``
        built it from them, or it was built from the same model); otherwise both are
        rebuilt from the files, with random weights the saved ones then replace."""
        if dict(files) == self.hf_files():
            return
        device = next((p.device for p in self.transformer.parameters()), torch.device("cpu"))
        with tempfile.TemporaryDirectory(prefix="treadle-hf-") as tmp:
            folder = Path(tmp)
            for file_name, data in files.items():
                (folder / file_name).write_bytes(data)
            try:
                tokenizer, transformer = _build_from_files(
                    folder, self.tokenizer_config, self.transformer_config
                )
            except (OSError, ValueError) as err:
                raise SerializationError(
                    f"{where}: could not build the Hugging Face model from the saved "
                    f"files: {err}"
                ) from err
        self._set_hf(tokenizer, transformer.to(device))

    # ------------------------------------------------------------------ running

    def active_grad_scaler(self) -> GradScaler | None:
        """The loss scaler the training step must use: only while this model runs
        under float16 autocast, that is with ``mixed_precision`` on a CUDA device."""
        if not (self.mixed_precision and self.grad_scaler.enabled):
            return None
        device = next((p.device for p in self.transformer.parameters()), None)
        return self.grad_scaler if device is not None and device.type == "cuda" else None

    def _autocast(self, device: torch.device) -> Any:
        if not self.mixed_precision:
            return nullcontext()
        if device.type != "cuda":
            if not self._warned_cpu_amp:
                warnings.warn(
                    "TransformerModel: mixed_precision is ignored on the CPU.", stacklevel=3
                )
                self._warned_cpu_amp = True
            return nullcontext()
        return torch.autocast(device_type="cuda", dtype=torch.float16)

    def _window_groups(self, windows: Sequence[Window]) -> list[list[int]]:
        """Windows of similar length batched so that no model call exceeds
        ``max_batch_items`` padded positions."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        groups: list[list[int]] = []
        for i in order:
            # Sorted by length, so the window being added is the group's longest.
            if groups and (len(groups[-1]) + 1) * len(windows[i]) <= self.max_batch_items:
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups

    def _run_groups(
        self, windows: Sequence[Window], device: torch.device
    ) -> Iterator[tuple[list[int], torch.Tensor]]:
        """Each group of windows with its last hidden states (n, longest, width)."""
        with self._autocast(device):
            for group in self._window_groups(windows):
                ids, mask = pad_windows([windows[i] for i in group], self.pad_token_id, device)
                hidden = self.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
                yield group, hidden.float()

    def _run_windows(self, windows: Sequence[Window], device: torch.device) -> list[torch.Tensor]:
        """Each window's last hidden states (length_k, width)."""
        out: list[torch.Tensor | None] = [None] * len(windows)
        for group, hidden in self._run_groups(windows, device):
            for row, i in enumerate(group):
                out[i] = hidden[row, : len(windows[i])]
        return out  # type: ignore[return-value]

    def _averaged_in_place(
        self, windows: Sequence[Window], pieces: Sequence[DocPieces], device: torch.device
    ) -> list[torch.Tensor]:
        """Without a graph: each Doc's rows summed window by window into one buffer
        as the groups come out of the model, then averaged, so a long Doc holds its
        own rows and one group's outputs, never every window's outputs at once."""
        sums = [torch.zeros(len(p), self.width, device=device) for p in pieces]
        counts = [torch.zeros(len(p), device=device) for p in pieces]
        for group, hidden in self._run_groups(windows, device):
            for row, i in enumerate(group):
                w = windows[i]
                positions = torch.as_tensor(w.positions, dtype=torch.long, device=device)
                keep = positions >= 0
                sums[w.doc_index].index_add_(0, positions[keep], hidden[row, : len(w)][keep])
                counts[w.doc_index].index_add_(0, positions[keep], torch.ones_like(positions[keep], dtype=counts[0].dtype))
        for total, n in zip(sums, counts, strict=True):
            total.div_(n.clamp_min_(1).unsqueeze(1))
        return sums

    def forward(self, docs: Sequence[Doc]) -> list[DocTransformerOutput]:
        docs = list(docs)
        pieces: list[DocPieces] = tokenize_docs(self.tokenizer, docs)
        windows = span_windows(self.tokenizer, self.get_spans(docs), pieces, self.max_length)
        device = next(self.transformer.parameters()).device
        if torch.is_grad_enabled():
            doc_rows = self._averaged_with_graph(windows, pieces, device)
        else:
            doc_rows = self._averaged_in_place(windows, pieces, device)
        outputs = []
        for doc_pieces, rows in zip(pieces, doc_rows, strict=True):
            strings = self.tokenizer.convert_ids_to_tokens(doc_pieces.input_ids.tolist())
            outputs.append(DocTransformerOutput(doc_pieces.input_ids, strings, rows, doc_pieces.alignment))
        return outputs

    def _averaged_with_graph(
        self, windows: Sequence[Window], pieces: Sequence[DocPieces], device: torch.device
    ) -> list[torch.Tensor]:
        """Each Doc's rows, differentiable: the windows' outputs averaged per Doc."""
        hidden = self._run_windows(windows, device) if windows else []
        per_doc: list[list[int]] = [[] for _ in pieces]
        for k, w in enumerate(windows):
            per_doc[w.doc_index].append(k)
        out = []
        for ks, doc_pieces in zip(per_doc, pieces, strict=True):
            if ks:
                out.append(average_windows(
                    [hidden[k] for k in ks], [windows[k].positions for k in ks], len(doc_pieces)
                ))  # fmt: skip
            else:  # an empty Doc, or one the span getter gave nothing to read
                out.append(torch.zeros(len(doc_pieces), self.width, device=device))
        return out

    def extra_repr(self) -> str:
        return f"name={self.name!r}, width={self.width}, max_length={self.max_length}"


def _checked_configs(
    tokenizer_config: dict[str, Any] | None, transformer_config: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the two settings blocks, with what treadle insists on."""
    tok_cfg = dict(tokenizer_config or {})
    if tok_cfg.pop("use_fast", True) is not True:
        raise ConfigError(
            "TransformerModel: tokenizer_config.use_fast must be true: treadle needs the "
            "wordpieces' character offsets, which only fast tokenizers give."
        )
    trf_cfg = dict(transformer_config or {})
    # Code from a model repository never runs.
    tok_cfg["trust_remote_code"] = False
    trf_cfg["trust_remote_code"] = False
    return tok_cfg, trf_cfg


def _build_from_files(
    folder: Path, tok_cfg: dict[str, Any], trf_cfg: dict[str, Any]
) -> tuple[Any, torch.nn.Module]:
    """A fast tokenizer and a randomly initialised encoder from saved config and
    tokenizer files: local files only (no hub), no remote code, no weights file read."""
    transformers = require_transformers()
    local = {"local_files_only": True, "trust_remote_code": False}
    tok_kwargs = {**tok_cfg, **local}
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), use_fast=True, **tok_kwargs)
    config = transformers.AutoConfig.from_pretrained(str(folder), **local)
    model_kwargs = {k: trf_cfg[k] for k in _FROM_CONFIG_KEYS if k in trf_cfg}
    # The random initialisation would otherwise move the caller's random state.
    with torch.random.fork_rng(devices=[]):
        transformer = transformers.AutoModel.from_config(
            config, trust_remote_code=False, **model_kwargs
        )
    return tokenizer, transformer


@registry.architectures("treadle.TransformerModel.v1")
def make_TransformerModel(
    name: str,
    get_spans: SpanGetter,
    tokenizer_config: dict[str, Any] = {},  # noqa: B006  (config defaults, never mutated)
    transformer_config: dict[str, Any] = {},  # noqa: B006
    mixed_precision: bool = False,
    grad_scaler_config: GradScalerSettings = {},  # type: ignore[assignment]  # noqa: B006
) -> TransformerModel:
    """A Hugging Face model (hub name or local folder) over the span getter's windows.

    While ``treadle.load`` builds a saved pipeline, the model is built from the files
    saved in the component's folder instead of from ``name``."""
    saved = saved_component_folder()
    if saved is not None and (saved / HF_FOLDER / "config.json").is_file():
        return TransformerModel.from_saved(
            saved / HF_FOLDER,
            get_spans,
            tokenizer_config=tokenizer_config,
            transformer_config=transformer_config,
            mixed_precision=mixed_precision,
            grad_scaler_config=grad_scaler_config,
            name=name,
        )
    return TransformerModel.from_pretrained(
        name,
        get_spans,
        tokenizer_config=tokenizer_config,
        transformer_config=transformer_config,
        mixed_precision=mixed_precision,
        grad_scaler_config=grad_scaler_config,
    )
