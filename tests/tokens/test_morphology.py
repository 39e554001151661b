"""MorphAnalysis: parsing, normalising, membership, dict form."""

from treadle.tokens import MorphAnalysis, Vocab


def test_morph_analysis():
    vocab = Vocab()
    m = MorphAnalysis(vocab, "PronType=Rel,Int|Number=Sing")
    assert str(m) == "Number=Sing|PronType=Int,Rel"
    assert m.get("PronType") == ["Int", "Rel"] and m.get("Tense") == []
    assert "PronType=Rel" in m and "Number=Plur" not in m
    assert list(m) == ["Number=Sing", "PronType=Int", "PronType=Rel"]
    assert m == "PronType=Int,Rel|Number=Sing"
    assert MorphAnalysis(vocab, {"Number": "Plur"}).to_dict() == {"Number": "Plur"}
    assert str(MorphAnalysis(vocab, "_")) == "" and not MorphAnalysis(vocab, "")
