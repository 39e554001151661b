"""Regenerate the sample corpus in examples/data/ from ../shared/data/.

Takes the first TRAIN_N sentences of UD English EWT train and the first DEV_N of dev
(whole CoNLL-U blocks, comments included), and the Universal NER annotation of the
same sentences, matched by ``# sent_id`` (the UNER dev file lists its sentences in a
different order). A sentence whose UNER tokens differ from the UD words (UNER was
annotated on an older UD release) is skipped, so both files of a split hold exactly
the same sentences, in UD order, with identical tokens.

Usage: python scripts/make_sample.py [SOURCE_DIR] [OUT_DIR]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

TRAIN_N = 1000
DEV_N = 300


def read_blocks(path: Path) -> list[list[str]]:
    """Split a CoNLL-style file into sentence blocks (lists of lines, no newline)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def sent_id(block: list[str]) -> str | None:
    for line in block:
        if line.startswith("# sent_id"):
            return line.split("=", 1)[1].strip()
    return None


def ud_words(block: list[str]) -> list[str]:
    """The syntactic words (integer ids: no multiword ranges, no empty nodes)."""
    return [ln.split("\t")[1] for ln in block if not ln.startswith("#") and ln.split("\t")[0].isdigit()]


def uner_words(block: list[str]) -> list[str]:
    return [ln.split("\t")[1] for ln in block if not ln.startswith("#")]


def make_split(ud_path: Path, uner_path: Path, n: int) -> tuple[list, list, list[str]]:
    uner_by_id = {sent_id(b): b for b in read_blocks(uner_path)}
    ud_out, uner_out, skipped = [], [], []
    for block in read_blocks(ud_path):
        if len(ud_out) == n:
            break
        sid = sent_id(block)
        uner = uner_by_id.get(sid)
        if uner is None or uner_words(uner) != ud_words(block):
            skipped.append(str(sid))
            continue
        ud_out.append(block)
        uner_out.append(uner)
    return ud_out, uner_out, skipped


def write_blocks(path: Path, blocks: list[list[str]]) -> None:
    path.write_text("".join("\n".join(b) + "\n\n" for b in blocks), encoding="utf8")


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", TRAIN_N), ("dev", DEV_N)):
        ud, uner, skipped = make_split(
            source / "ud_en_ewt" / f"en_ewt-ud-{split}.conllu",
            source / "uner_en_ewt" / f"en_ewt-ud-{split}.iob2",
            n,
        )
        write_blocks(out / f"ewt-sample-{split}.conllu", ud)
        write_blocks(out / f"uner-sample-{split}.iob2", uner)
        n_words = sum(len(ud_words(b)) for b in ud)
        print(f"{split}: {len(ud)} sentences, {n_words} words; skipped {skipped or 'none'}")
    shutil.copyfile(source / "ud_en_ewt" / "LICENSE.txt", out / "LICENSE.txt")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "examples" / "data"
    main(src, dst)
