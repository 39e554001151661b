"""Building the pipeline and corpora for training (treadle/training/initialize.py): corpus
errors name the config key."""

from __future__ import annotations

import pytest

from treadle.errors import DataError
from treadle.training.corpus import Corpus
from treadle.training.initialize import read_corpus


@pytest.mark.parametrize("bad", [None, "missing.docbin", "emptydir"])
def test_bad_paths_name_the_config_key(tmp_path, nlp, bad):
    (tmp_path / "emptydir").mkdir()
    path = None if bad is None else str(tmp_path / bad)
    with pytest.raises(DataError, match=r"corpora\.train\.path"):
        list(read_corpus(Corpus(path), nlp, "corpora.train"))
