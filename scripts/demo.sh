#!/usr/bin/env bash
# The quickstart's main job (until training lands): set up, convert the sample corpus
# in examples/data to .docbin files under corpus/, read them back, and tokenize a
# sentence with the English tokenizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== Converting the sample corpus (examples/data) into corpus/"
.venv/bin/treadle convert examples/data corpus --converter auto --n-sents 10
echo
echo "== Reading the converted corpus back, and tokenizing a sentence"
.venv/bin/python - <<'PY'
import treadle
from treadle.tokens import DocBin

nlp = treadle.blank("en")
docs = list(DocBin().from_disk("corpus/ewt-sample-dev.docbin").get_docs(nlp.vocab))
sent = next(docs[0].sents)
print(f"First dev sentence ({len(sent)} gold tokens): {sent.text!r}")
print("  " + " ".join(f"{t.text}/{t.pos_}/{t.dep_}" for t in sent))
ner = list(DocBin().from_disk("corpus/uner-sample-dev.docbin").get_docs(nlp.vocab))
ents = [(e.text, e.label_) for d in ner for e in d.ents]
print(f"UNER dev: {len(ents)} entities, e.g. {ents[:4]}")
print()
text = "Dr. Smith didn't visit the U.S. office in New York on 3/14 -- email her at ann@example.com!"
doc = nlp(text)
print(f"treadle.blank('en') on {text!r}: {len(doc)} tokens")
print(f"  {'i':>2}  {'text':<16} {'lower':<16} {'shape':<12} {'alpha':<5} {'punct':<5} {'like_num':<8} space")
for t in doc:
    print(
        f"  {t.i:>2}  {t.text:<16} {t.lower_:<16} {t.shape_:<12} {t.is_alpha!s:<5} "
        f"{t.is_punct!s:<5} {t.like_num!s:<8} {t.whitespace_!r}"
    )
PY
