"""textcat_multilabel: learning with labels missing from some references."""

from __future__ import annotations

from tests.pipeline.helpers import fit_textcat, make_textcat
from treadle.training import Example


def test_textcat_multilabel_learns_with_missing_labels() -> None:
    nlp = make_textcat("textcat_multilabel", False)
    data = [("good fun", {"POS": 1.0, "FUN": 1.0}), ("bad boring", {"POS": 0.0, "FUN": 0.0}),
            ("good film", {"POS": 1.0}), ("fun party", {"FUN": 1.0}), ("bad party", {"POS": 0.0, "FUN": 1.0})]
    exs = [Example.from_dict(nlp.make_doc(t), {"cats": c}) for t, c in data]
    fit_textcat(nlp, exs, 40)
    tc = nlp.get_pipe("textcat_multilabel")
    assert tc.labels == ("FUN", "POS")
    doc = nlp("good fun")
    assert doc.cats["POS"] > 0.5 and doc.cats["FUN"] > 0.5
    doc = nlp("bad boring")
    assert doc.cats["POS"] < 0.5 and doc.cats["FUN"] < 0.5
    # a label missing from every reference gives no loss for it
    bare = [Example.from_dict(nlp.make_doc("good"), {"cats": {}})]
    assert tc.forward_loss(bare) is None
    list(tc.pipe([eg.predicted for eg in exs]))
    assert tc.score(exs)["cats_score_desc"] == "macro AUC"
