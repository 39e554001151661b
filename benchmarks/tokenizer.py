"""Tokenizer benchmark: speed and accuracy of the English tokenizer on UD EWT dev texts.

Prints, for treadle and (when available) spaCy 3.8's blank English tokenizer run in a
separate interpreter:

* words/s on a first pass over the texts with a fresh tokenizer and vocab (cold cache;
  treadle's process-wide string-hash cache is cleared too), and on a second pass with
  the same tokenizer (warm cache), best and median over ``--reps`` repetitions, the two
  systems' repetitions alternating so that they share the machine's load. "words" are
  the gold UD words of the texts, the same count for both systems. For treadle also a
  warm pass that builds each Doc's token array (which a Doc from the tokenizer builds
  on first read);
* precision/recall/F1 of the predicted token character spans against the gold word
  spans (a multiword token such as "didn't" -> "did" + "n't" is scored as its parts
  where they spell the surface form, else as the whole surface span);
* the most frequent error types, and treadle/spaCy ratios.

Usage::

    .venv/bin/python benchmarks/tokenizer.py [--data FILE.conllu] [--reps 5]
        [--spacy-python /work/spacy-venv/bin/python] [--no-spacy] [--errors 15]

spaCy is never imported here: it runs as a subprocess of the given interpreter.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/ud_en_ewt/en_ewt-ud-dev.conllu"
DEFAULT_SPACY_PYTHON = "/work/spacy-venv/bin/python"

Span = tuple[int, int]


def read_conllu(path: Path) -> list[tuple[str, list[Span]]]:
    """(text, gold word character spans) per sentence with a ``# text`` comment."""
    sents: list[tuple[str, list[Span]]] = []
    text: str | None = None
    rows: list[tuple[str, str, list[str]]] = []  # (kind, form, parts of a multiword token)
    mwt_end = -1

    def flush() -> None:
        if text is not None and rows:
            sents.append((text, _gold_spans(text, rows)))

    with path.open(encoding="utf8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("# text = "):
                text = line[len("# text = ") :]
            elif not line:
                flush()
                text, rows, mwt_end = None, [], -1
            elif line.startswith("#"):
                continue
            else:
                cols = line.split("\t")
                tid = cols[0]
                if "." in tid:
                    continue  # empty nodes carry no text
                if "-" in tid:
                    mwt_end = int(tid.split("-")[1])
                    rows.append(("M", cols[1], []))
                elif rows and rows[-1][0] == "M" and int(tid) <= mwt_end:
                    rows[-1][2].append(cols[1])
                else:
                    rows.append(("W", cols[1], []))
    flush()
    return sents


def _gold_spans(text: str, rows: list[tuple[str, str, list[str]]]) -> list[Span]:
    spans: list[Span] = []
    pos = 0
    for kind, form, parts in rows:
        start = text.find(form, pos)
        if start < 0:
            raise ValueError(f"Gold token {form!r} not found in {text!r} after {pos}")
        end = start + len(form)
        if kind == "M" and "".join(parts) == form:
            p = start
            for part in parts:
                spans.append((p, p + len(part)))
                p += len(part)
        else:
            spans.append((start, end))
        pos = end
    return spans


def spans_from_words(words: list[str], spaces: list[bool]) -> list[Span]:
    """Character spans of the non-whitespace tokens."""
    out: list[Span] = []
    pos = 0
    for word, space in zip(words, spaces, strict=True):
        end = pos + len(word)
        if not word.isspace():
            out.append((pos, end))
        pos = end + (1 if space else 0)
    return out


def score(
    gold: list[tuple[str, list[Span]]], pred: list[list[Span]], n_errors: int
) -> dict[str, object]:
    tp = n_gold = n_pred = 0
    errors: collections.Counter[tuple[str, str]] = collections.Counter()
    for (text, g), p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        tp += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
        if gs != ps:
            for gold_seg, pred_seg in _mismatches(text, sorted(gs), sorted(ps)):
                errors[(gold_seg, pred_seg)] += 1
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "n_gold": n_gold,
        "errors": errors.most_common(n_errors),
    }


def _mismatches(text: str, gold: list[Span], pred: list[Span]) -> list[tuple[str, str]]:
    """Regions where the two segmentations disagree, as 'a|b' strings (gold, pred)."""
    events = sorted([(s, e, 0) for s, e in gold] + [(s, e, 1) for s, e in pred])
    out: list[tuple[str, str]] = []
    cluster: list[tuple[int, int, int]] = []
    end = -1
    for s, e, who in events:
        if cluster and s >= end:
            out.extend(_cluster_diff(text, cluster))
            cluster = []
        cluster.append((s, e, who))
        end = max(end, e) if cluster[:-1] else e
    if cluster:
        out.extend(_cluster_diff(text, cluster))
    return out


def _cluster_diff(text: str, cluster: list[tuple[int, int, int]]) -> list[tuple[str, str]]:
    g = sorted((s, e) for s, e, who in cluster if who == 0)
    p = sorted((s, e) for s, e, who in cluster if who == 1)
    if g == p:
        return []
    return [("|".join(text[s:e] for s, e in g), "|".join(text[s:e] for s, e in p))]


class TreadleRunner:
    """One repetition at a time: a fresh tokenizer and vocab, a cold pass, a warm pass,
    and a warm pass that also builds each Doc's token array (a treadle Doc from the
    tokenizer builds it on first read; spaCy's Docs are complete when made)."""

    def __init__(self, texts: list[str]) -> None:
        from treadle.lang import Tokenizer, get_language_data, make_vocab

        self.texts = texts
        self._data = get_language_data("en")
        self._make = lambda: Tokenizer.from_language_data(self._data, make_vocab(self._data))
        self.pred: list[list[Span]] = []

    def rep(self) -> tuple[float, float, float]:
        from treadle.tokens import strings

        texts = self.texts
        # The string-hash cache is process-wide: cleared, so that every cold pass hashes
        # its strings as the first one in a process does.
        strings._HASH_CACHE.clear()
        strings._HASH_CACHE[""] = 0
        tokenizer = self._make()
        t0 = time.perf_counter()
        docs = [tokenizer(t) for t in texts]
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for t in texts:
            tokenizer(t)
        warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        for t in texts:
            tokenizer(t)._arr  # noqa: B018 - reading it builds the array
        built = time.perf_counter() - t0
        if not self.pred:
            for text, doc in zip(texts, docs, strict=True):
                if doc.text != text:
                    raise AssertionError(f"treadle does not reconstruct {text!r}")
                words = [tok.text for tok in doc]
                spaces = [bool(tok.whitespace_) for tok in doc]
                self.pred.append(spans_from_words(words, spaces))
        return cold, warm, built


# Runs under spaCy's interpreter: one repetition per line read from stdin, its timings
# as one JSON line (the first also carries the predicted spans).
_SPACY_SCRIPT = r"""
import json, sys, time
import spacy
texts = json.load(open(sys.argv[1], encoding="utf8"))
print(json.dumps({"version": spacy.__version__}), flush=True)
first = True
for line in sys.stdin:
    nlp = spacy.blank("en")
    tok = nlp.tokenizer
    t0 = time.perf_counter()
    docs = [tok(t) for t in texts]
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in texts:
        tok(t)
    warm = time.perf_counter() - t0
    out = {"cold": cold, "warm": warm}
    if first:
        out["pred"] = [[(w.idx, w.idx + len(w)) for w in d if not w.is_space] for d in docs]
        first = False
    print(json.dumps(out), flush=True)
"""


class SpacyRunner:
    """spaCy's tokenizer in a subprocess of its own interpreter, one rep on request, so
    that the two systems' reps alternate and share the machine's load."""

    def __init__(self, python: str, texts: list[str]) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf8") as fh:
            json.dump(texts, fh)
            self._path = fh.name
        self._proc = subprocess.Popen(
            [python, "-c", _SPACY_SCRIPT, self._path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.version = str(self._read()["version"])
        self.pred: list[list[Span]] = []

    def _read(self) -> dict[str, object]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"spaCy run failed:\n{err.strip()[-2000:]}")
        return json.loads(line)

    def rep(self) -> tuple[float, float]:
        assert self._proc.stdin is not None
        self._proc.stdin.write("rep\n")
        self._proc.stdin.flush()
        out = self._read()
        if "pred" in out:
            self.pred = [[tuple(s) for s in doc] for doc in out["pred"]]  # type: ignore[union-attr]
        return float(out["cold"]), float(out["warm"])  # type: ignore[arg-type]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
        os.unlink(self._path)


def _rates(n_words: int, times: list[float]) -> tuple[float, float]:
    rates = [n_words / t for t in times]
    return max(rates), statistics.median(rates)


def _print_system(
    name: str, n_words: int, cold: list[float], warm: list[float], scores: dict[str, object]
) -> dict[str, float]:
    cold_best, cold_med = _rates(n_words, cold)
    warm_best, warm_med = _rates(n_words, warm)
    print(f"\n== {name}")
    print(f"cold cache: best {cold_best:>12,.0f} words/s   median {cold_med:>12,.0f} words/s")
    print(f"warm cache: best {warm_best:>12,.0f} words/s   median {warm_med:>12,.0f} words/s")
    print(
        f"accuracy:   P {scores['precision']:.4f}  R {scores['recall']:.4f}  F1 {scores['f1']:.4f}"
    )
    print("most frequent errors (count: gold -> predicted):")
    for (gold, pred), count in scores["errors"]:  # type: ignore[union-attr]
        print(f"  {count:>4}: {gold!r} -> {pred!r}")
    return {
        "cold": cold_best,
        "warm": warm_best,
        "cold_med": cold_med,
        "warm_med": warm_med,
        "f1": float(scores["f1"]),
    }  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--errors", type=int, default=15, help="error types to list")
    parser.add_argument(
        "--spacy-python",
        default=DEFAULT_SPACY_PYTHON if Path(DEFAULT_SPACY_PYTHON).exists() else None,
        help="interpreter with spaCy 3.8 installed (default: /work/spacy-venv/bin/python)",
    )
    parser.add_argument("--no-spacy", action="store_true")
    args = parser.parse_args(argv)

    gold = read_conllu(args.data)
    texts = [t for t, _ in gold]
    n_words = sum(len(g) for _, g in gold)
    print(f"data: {args.data} ({len(texts):,} texts, {n_words:,} gold words); reps: {args.reps}")

    ours_runner = TreadleRunner(texts)
    spacy_runner: SpacyRunner | None = None
    if not args.no_spacy and args.spacy_python:
        try:
            spacy_runner = SpacyRunner(args.spacy_python, texts)
        except (OSError, RuntimeError) as err:
            print(f"spaCy comparison skipped: {err}", file=sys.stderr)
    cold: list[float] = []
    warm: list[float] = []
    built: list[float] = []
    s_cold: list[float] = []
    s_warm: list[float] = []
    try:
        for _ in range(args.reps):
            c, w, b = ours_runner.rep()
            cold.append(c)
            warm.append(w)
            built.append(b)
            if spacy_runner is not None:
                c, w = spacy_runner.rep()
                s_cold.append(c)
                s_warm.append(w)
    finally:
        if spacy_runner is not None:
            spacy_runner.close()
    ours = _print_system("treadle", n_words, cold, warm, score(gold, ours_runner.pred, args.errors))
    built_best, built_med = _rates(n_words, built)
    print(
        f"warm, arrays built: best {built_best:>10,.0f} words/s   median {built_med:>12,.0f} "
        "words/s"
    )
    if spacy_runner is None:
        print("\n(spaCy comparison skipped: no --spacy-python interpreter)")
        return 0
    theirs = _print_system(
        f"spaCy {spacy_runner.version} blank('en')",
        n_words,
        s_cold,
        s_warm,
        score(gold, spacy_runner.pred, args.errors),
    )
    print("\n== treadle / spaCy (same run, reps alternating)")
    print(
        f"cold words/s (best): {ours['cold'] / theirs['cold']:.2f}x   "
        f"(median: {ours['cold_med'] / theirs['cold_med']:.2f}x)"
    )
    print(
        f"warm words/s (best): {ours['warm'] / theirs['warm']:.2f}x   "
        f"(median: {ours['warm_med'] / theirs['warm_med']:.2f}x)"
    )
    print(
        f"warm, arrays built (best): {built_best / theirs['warm']:.2f}x   "
        f"(median: {built_med / theirs['warm_med']:.2f}x)"
    )
    print(f"F1: {ours['f1']:.4f} vs {theirs['f1']:.4f} ({ours['f1'] - theirs['f1']:+.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
