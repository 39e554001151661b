#!/usr/bin/env bash
# The quickstart's main job: set up, convert the sample corpus in examples/data to
# .docbin files under corpus/, train a small tok2vec + tagger pipeline with the config
# shipped in examples/configs/ (a minute or two on a laptop CPU), then load the trained
# pipeline and tag a sentence.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== Converting the sample corpus (examples/data) into corpus/"
.venv/bin/treadle convert examples/data/ewt-sample-train.conllu corpus
.venv/bin/treadle convert examples/data/ewt-sample-dev.conllu corpus
echo
echo "== Training examples/configs/tagger.cfg into training/"
# --overwrite: the demo retrains from scratch each time it is run.
.venv/bin/treadle train examples/configs/tagger.cfg --output training --overwrite \
    --paths.train corpus/ewt-sample-train.docbin --paths.dev corpus/ewt-sample-dev.docbin
echo
echo "== Tagging a sentence with training/model-best"
.venv/bin/python - <<'PY'
import json

import treadle

nlp = treadle.load("training/model-best")
perf = json.load(open("training/model-best/meta.json"))["performance"]
print(f"Pipeline {nlp.pipe_names}, dev tag accuracy {perf['tag_acc'] * 100:.1f}%")
doc = nlp("The quick brown fox jumped over the lazy dog near the river bank yesterday.")
for token in doc:
    print(f"  {token.text:<12} {token.tag_}")
PY
