"""Writers of small word-vector files in every format ``read_vectors`` accepts."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np


def text_lines(words: list[str], matrix: np.ndarray, *, header: bool) -> str:
    lines = [f"{matrix.shape[0]} {matrix.shape[1]}"] if header else []
    lines += [w + " " + " ".join(f"{x:.6f}" for x in row) for w, row in zip(words, matrix, strict=True)]
    return "\n".join(lines) + "\n"


def write_text(path: Path, words: list[str], matrix: np.ndarray, *, header: bool = True) -> Path:
    text = text_lines(words, matrix, header=header)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf8")
    return path


def write_word2vec_bin(path: Path, words: list[str], matrix: np.ndarray) -> Path:
    with open(path, "wb") as f:
        f.write(f"{matrix.shape[0]} {matrix.shape[1]}\n".encode())
        for word, row in zip(words, matrix, strict=True):
            f.write(word.encode("utf8") + b" " + row.astype("<f4").tobytes() + b"\n")
    return path


def write_npy(folder: Path, words: list[str], matrix: np.ndarray, *, word_list: str = ".txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "emb.npy", matrix)
    if word_list == ".txt":
        (folder / "emb.txt").write_text("\n".join(words) + "\n", encoding="utf8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"index": words}), folder / "words_index.parquet")
    return folder / "emb.npy"
