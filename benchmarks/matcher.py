"""Matcher benchmark: PhraseMatcher with 10,000 phrases and Matcher patterns over EWT dev.

The dev texts (2,001 sentences) are tokenized first (not timed); then each matcher is
called on every Doc, best of ``--reps`` passes. Figures:

* PhraseMatcher(attr="LOWER") with ``--phrases`` distinct phrases (1-4 token n-grams
  drawn from EWT train, lower-cased): time to add them (make_doc included), docs/s and
  words/s of matching, matches found;
* Matcher with a few patterns (quantifiers, IN, REGEX, LIKE_NUM, negation);
* Matcher with 1,000 literal two-token patterns (as an entity ruler would hold).

"words" are the tokens of each system's own Docs; words per CPU-second is printed
beside the wall-clock rate because the machine is shared. With ``--spacy-python`` (default: the
spaCy 3.8 venv, if present) the same job runs in spaCy in a subprocess and the ratios
are printed; spaCy is never imported here.

Usage::

    .venv/bin/python benchmarks/matcher.py [--reps 3] [--phrases 10000] [--no-spacy]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared/data/ud_en_ewt"
DEFAULT_SPACY_PYTHON = "/work/spacy-venv/bin/python"

FEW_PATTERNS = {
    "MONEY": [[{"ORTH": {"IN": ["$", "€", "£"]}}, {"LIKE_NUM": True}, {"LOWER": {"IN": ["million", "billion"]}, "OP": "?"}]],
    "PROPER_SEQ": [[{"IS_TITLE": True}, {"IS_TITLE": True, "OP": "+"}]],
    "YEAR": [[{"TEXT": {"REGEX": r"^(19|20)\d\d$"}}]],
    "NOT_THE": [[{"LOWER": "of"}, {"LOWER": "the", "OP": "!"}, {"IS_ALPHA": True}]],
    "LONG_WORD": [[{"LENGTH": {">=": 12}, "IS_ALPHA": True}]],
    "QUOTE": [[{"ORTH": '"'}, {"IS_PUNCT": False, "OP": "{1,3}"}, {"ORTH": '"'}]],
}


def read_texts(path: Path) -> list[str]:
    texts = []
    with open(path, encoding="utf8") as fh:
        for line in fh:
            if line.startswith("# text = "):
                texts.append(line[len("# text = "):].rstrip("\n"))
    return texts


def make_job(n_phrases: int, reps: int) -> dict:
    rng = random.Random(0)
    import treadle

    nlp = treadle.blank("en")
    train = read_texts(DATA / "en_ewt-ud-train.conllu")
    grams: set[str] = set()
    for doc in nlp.tokenizer.pipe(train):
        words = [t.text.lower() for t in doc]
        for n in (1, 2, 3, 4):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if all(w.isalpha() for w in gram):
                    grams.add(" ".join(gram))
    phrases = rng.sample(sorted(grams), n_phrases)
    bigrams = sorted(g for g in grams if g.count(" ") == 1)
    literal = [g.split() for g in rng.sample(bigrams, 1000)]
    return {
        "dev": read_texts(DATA / "en_ewt-ud-dev.conllu"),
        "phrases": phrases,
        "few": FEW_PATTERNS,
        "literal": literal,
        "reps": reps,
    }


# The measuring code is the same for both systems: it only uses the API they share.
RUN = r'''
import json, sys, time

def measure(nlp, Matcher, PhraseMatcher, job):
    docs = list(nlp.tokenizer.pipe(job["dev"]))
    n_words = sum(len(d) for d in docs)
    out = {"docs": len(docs), "words": n_words}

    def timed(matcher):
        best, best_cpu, n_found = float("inf"), float("inf"), 0
        for _ in range(job["reps"]):
            t0, c0 = time.perf_counter(), time.process_time()
            n_found = sum(len(matcher(d)) for d in docs)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        return {"seconds": best, "docs_per_s": len(docs) / best, "words_per_s": n_words / best,
                "words_per_cpu_s": n_words / best_cpu, "matches": n_found}

    t0 = time.perf_counter()
    pm = PhraseMatcher(nlp.vocab, attr="LOWER")
    pm.add("PHRASE", [nlp.make_doc(p) for p in job["phrases"]])
    pm(docs[0])
    add_s = time.perf_counter() - t0
    out["phrase"] = dict(timed(pm), add_seconds=add_s, n_phrases=len(job["phrases"]))

    m = Matcher(nlp.vocab)
    for key, patterns in job["few"].items():
        m.add(key, patterns)
    out["few"] = timed(m)

    m = Matcher(nlp.vocab)
    for i, (a, b) in enumerate(job["literal"]):
        m.add(f"L{i % 50}", [[{"LOWER": a}, {"LOWER": b}]])
    t0 = time.perf_counter()
    m(docs[0])
    compile_s = time.perf_counter() - t0
    out["literal"] = dict(timed(m), compile_seconds=compile_s)
    return out
'''

SPACY_DRIVER = RUN + r'''
import spacy
from spacy.matcher import Matcher, PhraseMatcher
job = json.load(open(sys.argv[1]))
print(json.dumps(measure(spacy.blank("en"), Matcher, PhraseMatcher, job)))
'''


def run_treadle(job: dict) -> dict:
    import treadle
    from treadle.matcher import Matcher, PhraseMatcher

    scope: dict = {}
    exec(RUN, scope)
    return scope["measure"](treadle.blank("en"), Matcher, PhraseMatcher, job)


def run_spacy(python: str, job: dict) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf8")
        script = Path(tmp) / "driver.py"
        script.write_text(SPACY_DRIVER, encoding="utf8")
        proc = subprocess.run([python, str(script), str(job_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"spaCy run failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--phrases", type=int, default=10_000)
    parser.add_argument("--spacy-python", default=DEFAULT_SPACY_PYTHON)
    parser.add_argument("--no-spacy", action="store_true")
    args = parser.parse_args()

    job = make_job(args.phrases, args.reps)
    ours = run_treadle(job)
    theirs = None
    if not args.no_spacy and os.path.exists(args.spacy_python):
        theirs = run_spacy(args.spacy_python, job)

    print(f"EWT dev: {ours['docs']} docs, {ours['words']} words (treadle tokens); best of {args.reps}")
    rows = [
        ("phrase", f"PhraseMatcher LOWER, {args.phrases} phrases"),
        ("few", f"Matcher, {len(FEW_PATTERNS)} patterns"),
        ("literal", "Matcher, 1000 two-token literal patterns"),
    ]
    for name, title in rows:
        r = ours[name]
        line = (f"{title:42s} treadle {r['docs_per_s']:8,.0f} docs/s {r['words_per_s']:10,.0f} words/s "
                f"({r['words_per_cpu_s']:10,.0f} per CPU-s) {r['matches']:5d} matches")
        if theirs is not None:
            s = theirs[name]
            line += (f" | spaCy {s['docs_per_s']:8,.0f} docs/s {s['words_per_s']:10,.0f} words/s "
                     f"({s['words_per_cpu_s']:10,.0f} per CPU-s) {s['matches']:5d} matches"
                     f" | ratio {r['words_per_s'] / s['words_per_s']:.2f}")
        print(line)
    extra = f"PhraseMatcher add (make_doc + add + build): treadle {ours['phrase']['add_seconds']:.2f}s"
    if theirs is not None:
        extra += f", spaCy {theirs['phrase']['add_seconds']:.2f}s"
    print(extra)
    lit = f"1000-pattern Matcher first call (compile): treadle {ours['literal']['compile_seconds'] * 1000:.1f} ms"
    if theirs is not None:
        lit += f", spaCy {theirs['literal']['compile_seconds'] * 1000:.1f} ms"
    print(lit)


if __name__ == "__main__":
    main()
