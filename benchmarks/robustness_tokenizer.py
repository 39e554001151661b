"""Robustness probe of the tokenizer (issue 14): fuzz it with hostile strings.

Probes, each run for an equal share of a time budget:

* ``random unicode``: random code points (any plane, controls, combining marks, RTL
  marks, ZWJ, NUL), 1-2,000 characters;
* ``punctuation runs``: runs of brackets, quotes, clitics, emoticons, dots, mixed with a
  little text: 2-400 characters, and one in fifty 10 characters to 1 MB (log-uniform);
* ``EWT mutated``: UD English EWT dev sentences with punctuation runs, odd characters,
  deleted spaces and repeated words inserted;
* ``lone surrogates``: text with an unpaired surrogate, which must be refused cleanly.

Per input: ``clean_errors`` (a treadle error), ``crashes`` (any other exception),
``hangs`` (over its time limit: 2 s plus 10 µs per character, enforced with SIGALRM,
which ``re`` honours), ``silent`` (no error but ``doc.text`` differs from the input).

Usage::

    .venv/bin/python benchmarks/robustness_tokenizer.py [--budget 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

from treadle.errors import TreadleError
from treadle.lang import Tokenizer, get_language_data, make_vocab

EWT_DEV = Path(__file__).resolve().parents[2] / "shared/data/ud_en_ewt/en_ewt-ud-dev.conllu"
SAMPLE = Path(__file__).resolve().parents[1] / "examples/data/ewt-sample-dev.conllu"

_UNITS = ["(", ")", '"', "'", "“", "”", "'s", "n't", ":)", ":-)", "...", ".", "!?", "*", "-",
          "--", "=", "<", ">", "/", "[", "]", "{", "}", "«", "»", "…", "@", "#", "$", "%",
          "a(", ")a", "(a", "a@", "http://", "www.", ",", ";", ":", "😀", "\u200d"]
_ODD = ["\x00", "\u0301", "\u200f", "\u200e", "\u202e", "\u200d", "\ufeff", "\u2028", "\x85",
        "\U0001F468\u200d\U0001F469", "\t", "\n", "  ", "\x1c"]


class _Hang(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hang


def _random_unicode(rng: random.Random) -> str:
    n = rng.randint(1, 2000)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            cp = rng.randint(0x20, 0x2FFF)
        elif r < 0.8:
            cp = rng.randint(0, 0x10FFFF)
        else:
            out.append(rng.choice(_ODD + _UNITS))
            continue
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0x20
        out.append(chr(cp))
    return "".join(out)


def _punct_run(rng: random.Random) -> str:
    # mostly chunk-sized runs; one in fifty up to a megabyte
    size = int(10 ** rng.uniform(1, 6)) if rng.random() < 0.02 else rng.randint(2, 400)
    units = rng.sample(_UNITS, rng.randint(1, 3))
    if rng.random() < 0.5:
        unit = units[0]
        return (unit * (size // len(unit) + 1))[:size]
    parts: list[str] = []
    total = 0
    while total < size:
        piece = rng.choice(units) * rng.randint(1, 50)
        if rng.random() < 0.1:
            piece += rng.choice(["word", "don't", "U.S.", "3.14", " ", "a@b.com"])
        parts.append(piece)
        total += len(piece)
    return "".join(parts)[:size]


def _ewt_texts() -> list[str]:
    path = EWT_DEV if EWT_DEV.exists() else SAMPLE
    texts = []
    with path.open(encoding="utf8") as fh:
        for line in fh:
            if line.startswith("# text = "):
                texts.append(line[len("# text = ") :].rstrip("\n"))
    return texts or ["Hello, world!"]


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        pos = rng.randint(0, len(chars))
        kind = rng.random()
        if kind < 0.35:
            chars[pos:pos] = list(rng.choice(_UNITS) * rng.randint(1, 300))
        elif kind < 0.6:
            chars[pos:pos] = list(rng.choice(_ODD))
        elif kind < 0.8:
            chars = [c for c in chars if c != " " or rng.random() < 0.5]
        elif chars:
            word = "".join(chars[pos : pos + rng.randint(1, 10)])
            chars[pos:pos] = list(word * rng.randint(1, 50))
    return "".join(chars)


def _surrogate(rng: random.Random, texts: list[str]) -> str:
    text = rng.choice(texts)
    pos = rng.randint(0, len(text))
    return text[:pos] + chr(rng.randint(0xD800, 0xDFFF)) + text[pos:]


def _probes(rng: random.Random) -> dict[str, Callable[[], str]]:
    texts = _ewt_texts()
    return {
        "random unicode": lambda: _random_unicode(rng),
        "punctuation runs": lambda: _punct_run(rng),
        "EWT mutated": lambda: _mutate(rng, rng.choice(texts)),
        "lone surrogates": lambda: _surrogate(rng, texts),
    }


TIME_SHARE = {
    "random unicode": 0.3,
    "punctuation runs": 0.3,
    "EWT mutated": 0.3,
    "lone surrogates": 0.1,
}


def _limit_s(text: str) -> float:
    return 2.0 + 10e-6 * len(text)


def _check(tok: Tokenizer, text: str) -> str:
    """'ok', 'clean_error', 'crash', 'hang' or 'silent' for one input."""
    signal.setitimer(signal.ITIMER_REAL, _limit_s(text))
    try:
        doc = tok(text)
        ok = doc.text == text and "".join(t.text_with_ws for t in doc) == text
    except _Hang:
        return "hang"
    except TreadleError:
        return "clean_error"
    except Exception:  # what the probe is looking for
        return "crash"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return "ok" if ok else "silent"


def run(budget_s: float, seed: int = 0) -> list[dict]:
    """Fuzz the English tokenizer for about ``budget_s`` seconds; one row per probe:
    ``{"probe", "inputs", "clean_errors", "crashes", "hangs", "silent", "examples"}``
    (``examples``: up to 3 reprs, cut to 80 characters, of failing inputs)."""
    rng = random.Random(seed)
    data = get_language_data("en")
    tok = Tokenizer.from_language_data(data, make_vocab(data))
    probes = _probes(rng)
    rows = {
        name: {"probe": name, "inputs": 0, "clean_errors": 0, "crashes": 0, "hangs": 0,
               "silent": 0, "examples": []}
        for name in probes
    }
    keys = {"clean_error": "clean_errors", "crash": "crashes", "hang": "hangs", "silent": "silent"}
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        # a fixed share of the time each, so slow probes (megabyte runs) do not set
        # the pace of the fast ones; surrogates are refused up front, so a small share
        # tries many of them and leaves the time to strings that are tokenized
        for name, make in probes.items():
            row = rows[name]
            end = time.monotonic() + budget_s * TIME_SHARE[name]
            while time.monotonic() < end:
                text = make()
                outcome = _check(tok, text)
                row["inputs"] += 1
                if outcome != "ok":
                    row[keys[outcome]] += 1
                    if outcome != "clean_error" and len(row["examples"]) < 3:
                        row["examples"].append(repr(text)[:80])
    finally:
        signal.signal(signal.SIGALRM, previous)
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds to fuzz")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t0 = time.monotonic()
    rows = run(args.budget, args.seed)
    elapsed = time.monotonic() - t0
    cols = ["probe", "inputs", "clean_errors", "crashes", "hangs", "silent"]
    print(f"{cols[0]:<18}" + "".join(f"{c:>14}" for c in cols[1:]))
    for row in rows:
        print(f"{row['probe']:<18}" + "".join(f"{row[c]:>14,}" for c in cols[1:]))
        for example in row["examples"]:
            print(f"    e.g. {example}")
    total = sum(r["inputs"] for r in rows)
    print(f"{total:,} strings in {elapsed:.1f} s: {total / elapsed * 60:,.0f} strings/min")


if __name__ == "__main__":
    main()
