"""Fuzz the readers of saved data (issue 14): corrupted .docbin files and corrupted
saved pipeline folders, within a time budget.

    python -m benchmarks.robustness_data --budget 60

Each probe counts its inputs and how each ended:

- ``clean_errors``: a treadle error (``TreadleError``) was raised;
- ``crashes``: any other exception escaped the library;
- ``hangs``: one input took longer than ``HANG_S`` seconds;
- ``silent``: it loaded, but not the data the input holds (for damaged bytes: not the
  original Docs; for a crafted payload: not the Docs the payload describes; for a
  pipeline folder: not the pipeline that was saved);
- ``loaded_same``: it loaded exactly what the input holds (a crafted payload of
  valid values, a byte change the format ignores).

The issue's aim is 0 crashes and 0 silent loads. ``pipeline_old_save`` damages saves
without recorded file hashes (as written before they existed): those load with a
warning, and damage the readers cannot see there is reported as silent, by design.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import struct
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

import treadle
from treadle.errors import TreadleError
from treadle.tokens import Doc, DocBin, Span, Vocab
from treadle.tokens.docbin_format import DEFAULT_ATTRS, FORMAT_VERSION, MAGIC

HANG_S = 5.0
HEADER = struct.Struct("<8sHHQI")
WORDS = ["the", "cat", "Sat", "on", "a", "mat", ".", "São", "Paulo", "!", "naïve", "x" * 40]
TEXT = "I eat green ham"


# -- documents --------------------------------------------------------------------------


def random_docs(rng: random.Random, vocab: Vocab, n: int) -> list[Doc]:
    docs = []
    for _ in range(n):
        k = rng.randint(0, 12)
        words = [rng.choice(WORDS) for _ in range(k)]
        ents, prev = [], "O"
        for _ in range(k):
            options = ["O", "B-PER", "B-LOC"] + ([f"I-{prev[2:]}"] if prev != "O" else [])
            prev = rng.choice(options)
            ents.append(prev)
        doc = Doc(
            vocab, words, [rng.random() < 0.8 for _ in words],
            tags=[rng.choice(["NN", "VB", None]) for _ in words],
            pos=[rng.choice(["NOUN", "VERB", None]) for _ in words],
            lemmas=[w.lower() for w in words],
            heads=[rng.randrange(k) for _ in words] or None,
            deps=[rng.choice(["nsubj", "obj", "dep"]) for _ in words] or None,
            ents=ents or None,
        )
        doc.cats = {c: rng.random() for c in rng.sample(["A", "B", "ÉTÉ"], rng.randint(0, 3))}
        if k:
            start = rng.randrange(k)
            doc.spans["sc"] = [Span(doc, start, rng.randint(start, k), label="X", kb_id="Q1")]
            doc.spans["sc"].attrs["note"] = "fuzz"
        doc.user_data[("k", rng.randint(0, 3))] = [rng.random(), "v"]
        docs.append(doc)
    return docs


def doc_state(doc: Doc) -> tuple[Any, ...]:
    spans = {
        name: (dict(g.attrs), [(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in g])
        for name, g in (doc._spans or {}).items()
    }
    return ([t.text for t in doc], doc.to_array(list(DEFAULT_ATTRS)).tolist(), dict(doc.cats),
            spans, dict(doc.user_data))


def load_docbin(data: bytes) -> list[tuple[Any, ...]]:
    return [doc_state(d) for d in DocBin().from_bytes(data, source="fuzz.docbin").get_docs(Vocab())]


# -- outcome bookkeeping ----------------------------------------------------------------


class Probe:
    def __init__(self, name: str) -> None:
        self.name = name
        self.counts = dict.fromkeys(
            ("inputs", "clean_errors", "crashes", "hangs", "silent", "loaded_same"), 0
        )
        self.examples: list[str] = []

    def run(self, attempt: Callable[[], bool]) -> None:
        """``attempt()`` loads one input and returns whether it loaded the right data."""
        self.counts["inputs"] += 1
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                same = attempt()
        except TreadleError:
            outcome = "clean_errors"
        except Exception as err:  # what the issue counts as a crash
            outcome = "crashes"
            if len(self.examples) < 5:
                self.examples.append(f"{type(err).__name__}: {str(err)[:120]}")
        else:
            outcome = "loaded_same" if same else "silent"
        self.counts[outcome] += 1
        if time.perf_counter() - start > HANG_S:
            self.counts["hangs"] += 1

    def row(self) -> dict[str, Any]:
        return {"probe": self.name, **self.counts, "examples": self.examples}


# -- DocBin probes ----------------------------------------------------------------------


def _craft(payload: Any) -> bytes:
    body = zlib.compress(msgpack.packb(payload, use_bin_type=True), 6)
    return HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(body), zlib.crc32(body)) + body


JUNK: list[Any] = [None, 5, -1, 2**40, 1.5, True, "x", "", b"", b"\0" * 7, b"\xff" * 16, [],
                   [5], [None], {}, {"a": 1}, [[0, 99, "", "", ""]], [{"sc": 5}], ["a", 5]]


def _mutate_payload(rng: random.Random, payload: dict[str, Any]) -> None:
    """One wrong-typed or out-of-range change somewhere in the payload."""
    key = rng.choice([*payload, "extra"])
    roll = rng.random()
    if key == "tokens" and roll < 0.5:
        arr = np.frombuffer(payload["tokens"], dtype="<i8").copy()
        if arr.size:
            arr[rng.randrange(arr.size)] = rng.choice([0, 1, -1, 3, 17, 2**62, rng.getrandbits(63)])
        payload["tokens"] = arr.tobytes()
    elif key in ("cats", "spans", "user_data") and roll < 0.7 and payload[key]:
        k = rng.randrange(len(payload[key]))
        payload[key][k] = rng.choice(JUNK)
    elif key == "attrs" and roll < 0.5:
        attrs = list(payload["attrs"])
        if rng.random() < 0.5 and len(attrs) > 1:
            attrs.pop(rng.randrange(1, len(attrs)))
        else:
            attrs[rng.randrange(len(attrs))] = rng.choice([0, 1, 65, 76, 999, -3])
        payload["attrs"] = attrs
    elif key == "strings" and roll < 0.5 and payload["strings"]:
        strings = list(payload["strings"])
        strings.pop(rng.randrange(len(strings)))
        payload["strings"] = strings
    elif key == "lengths" and roll < 0.5:
        arr = np.frombuffer(payload["lengths"], dtype="<i8").copy()
        if arr.size:
            arr[rng.randrange(arr.size)] += rng.choice([-1, 1, -100])
        payload["lengths"] = arr.tobytes()
    else:
        payload[key] = rng.choice(JUNK)


def _faithful(data: bytes, payload: dict[str, Any]) -> bool:
    """Whether the Docs loaded from ``data`` are the ones ``payload`` describes: saved
    again with the same attributes, they give the same payload (the string table may
    shrink to the strings the Docs use)."""
    docs = list(DocBin().from_bytes(data).get_docs(Vocab()))
    again = msgpack.unpackb(
        zlib.decompress(DocBin(attrs=payload["attrs"], docs=docs,
                               store_user_data="user_data" in payload).to_bytes()[HEADER.size:]),
        raw=False, strict_map_key=False,
    )
    return (
        set(again.pop("strings")) <= set(payload["strings"])
        and again == {k: v for k, v in payload.items() if k != "strings"}
    )


def damage_bytes(rng: random.Random, kind: str, data: bytes) -> bytes:
    """``data`` truncated, with bits flipped, or with bytes overwritten, inserted or deleted."""
    buf = bytearray(data)
    if kind == "truncate":
        return bytes(buf[: rng.randrange(len(buf))])
    if kind == "bit_flip":
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        return bytes(buf)
    for _ in range(rng.randint(1, 3)):  # overwrite, insert or delete bytes
        pos = rng.randrange(len(buf))
        op = rng.randrange(3)
        if op == 0:
            buf[pos] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            del buf[pos : pos + rng.randint(1, 8)]
    return bytes(buf)


BYTE_DAMAGE = ("truncate", "bit_flip", "byte_edit")


def docbin_probes(rng: random.Random, deadline: float) -> list[Probe]:
    vocab = Vocab()
    corpora = [DocBin(docs=random_docs(rng, vocab, n), store_user_data=True).to_bytes()
               for n in (1, 5, 20)]
    wants = [load_docbin(c) for c in corpora]
    probes = {n: Probe(f"docbin_{n}") for n in ("truncate", "bit_flip", "byte_edit", "crafted")}

    kinds = list(probes)
    i = 0
    while time.perf_counter() < deadline:
        kind = kinds[i % len(kinds)]
        i += 1
        which = rng.randrange(len(corpora))
        data, want = corpora[which], wants[which]
        if kind == "crafted":
            payload = msgpack.unpackb(zlib.decompress(data[HEADER.size:]), raw=False,
                                      strict_map_key=False)
            _mutate_payload(rng, payload)
            crafted = _craft(payload)
            probes[kind].run(lambda c=crafted, p=payload: _faithful(c, p))
        else:
            bad = damage_bytes(rng, kind, data)
            probes[kind].run(lambda b=bad, w=want: load_docbin(b) == w)
    return list(probes.values())


# -- pipeline folder probes -------------------------------------------------------------


def saved_pipeline(folder: Path) -> tuple[Path, dict[str, Any]]:
    from treadle.ml import fix_random_seed
    from treadle.training import Example

    fix_random_seed(0)
    nlp = treadle.blank("en")
    t2v = {"@architectures": "treadle.HashEmbedCNN.v1", "width": 32, "depth": 1,
           "embed_size": 500, "window_size": 1, "maxout_pieces": 2, "subword_features": True,
           "pretrained_vectors": None}
    nlp.add_pipe("tagger", config={"model": {"@architectures": "treadle.Tagger.v1", "nO": None,
                                             "tok2vec": t2v}})
    exs = [Example.from_dict(nlp.make_doc(TEXT), {"tags": ["PRP", "VBP", "JJ", "NN"]})]
    nlp.initialize(lambda: exs)
    nlp.vocab["cat"].norm_ = "feline"
    path = folder / "base"
    nlp.to_disk(path)
    return path, pipeline_state(treadle.load(path))


def pipeline_state(nlp: treadle.Language) -> dict[str, Any]:
    doc = nlp(TEXT)
    tagger = nlp.get_pipe("tagger")
    weights = {k: v.detach().numpy().tobytes() for k, v in tagger.model.state_dict().items()}
    return {"tags": [t.tag_ for t in doc], "labels": tagger.labels, "weights": weights,
            "norm": nlp.vocab["cat"].norm_, "cfg": tagger.cfg}


PIPE_JUNK = [b"5", b"null", b"{}", b"[]", b'"x"', b"", b"\xff\xfe", b'{"labels": 5}',
             b'{"lang": 5}', b'{"lexeme_overrides": {"a": {"norm": 5}}}', b"[" * 5000]


def _damage_folder(rng: random.Random, path: Path) -> None:
    files = [f for f in sorted(path.rglob("*")) if f.is_file()]
    file = rng.choice(files)
    data = file.read_bytes()
    op = rng.randrange(6)
    if op == 0:
        file.unlink()
    elif op == 1:
        file.write_bytes(data[: rng.randrange(max(len(data), 1))])
    elif op == 2 and data:
        pos = rng.randrange(len(data))
        file.write_bytes(data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1:])
    elif op == 3 and file.suffix == ".json":
        file.write_bytes(rng.choice(PIPE_JUNK))
    elif op == 4:
        folder = rng.choice([p for p in path.rglob("*") if p.is_dir()])
        (folder / "extra.json").write_bytes(b"{}")
    else:
        file.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))


def pipeline_probes(rng: random.Random, deadline: float) -> list[Probe]:
    with tempfile.TemporaryDirectory() as tmp:
        base, want = saved_pipeline(Path(tmp))
        old = Path(tmp) / "old"
        shutil.copytree(base, old)
        meta = json.loads((old / "meta.json").read_text())
        del meta["files"]
        (old / "meta.json").write_text(json.dumps(meta))
        probes = [(Probe("pipeline_hashed"), base), (Probe("pipeline_old_save"), old)]
        as_bytes = Probe("pipeline_bytes")
        data = treadle.load(base).to_bytes()
        target = treadle.load(base)
        i = 0
        while time.perf_counter() < deadline:
            if i % 3 == 2:  # nlp.from_bytes of a damaged nlp.to_bytes()
                i += 1
                bad = damage_bytes(rng, rng.choice(BYTE_DAMAGE), data)
                as_bytes.run(lambda b=bad: pipeline_state(target.from_bytes(b)) == want)
                continue
            probe, src = probes[i % 3]
            i += 1
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(src, work)
            _damage_folder(rng, work)
            probe.run(lambda w=work: pipeline_state(treadle.load(w)) == want)
    return [p for p, _ in probes] + [as_bytes]


def run(budget_s: float) -> list[dict[str, Any]]:
    """Fuzz for about ``budget_s`` seconds; one row per probe."""
    import torch

    torch.set_num_threads(1)
    rng = random.Random(14)
    start = time.perf_counter()
    rows = [p.row() for p in docbin_probes(rng, start + budget_s * 0.6)]
    rows += [p.row() for p in pipeline_probes(rng, start + budget_s)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds in all")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = run(args.budget)
    cols = ["probe", "inputs", "clean_errors", "crashes", "hangs", "silent", "loaded_same"]
    print(" | ".join(f"{c:>18}" for c in cols))
    for row in rows:
        print(" | ".join(f"{row[c]:>18}" for c in cols))
        for example in row["examples"]:
            print(f"    crash: {example}")
    print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
