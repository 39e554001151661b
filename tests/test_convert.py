"""Converters on the shipped sample corpus and the ``treadle convert`` command."""

from pathlib import Path

import pytest

from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.tokens import DocBin, Vocab
from treadle.training.converters import (
    conllu_to_docs,
    iob_to_docs,
    jsonl_to_docs,
    read_conllu,
    read_iob,
)

DATA = Path(__file__).resolve().parent.parent / "examples" / "data"
EWT_DEV = DATA / "ewt-sample-dev.conllu"
UNER_DEV = DATA / "uner-sample-dev.iob2"


def _count_blocks(path: Path) -> tuple[int, int, list[str]]:
    """Sentences, syntactic words and # text lines, counted independently of the reader."""
    n_sents = n_words = 0
    texts = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith("# text = "):
            texts.append(line[len("# text = ") :])
        elif not line.strip():
            n_sents += 1
        elif not line.startswith("#") and line.split("\t")[0].isdigit():
            n_words += 1
    return n_sents, n_words, texts


def test_conllu_sample_counts_and_texts():
    n_sents, n_words, texts = _count_blocks(EWT_DEV)
    docs = list(conllu_to_docs(EWT_DEV, Vocab()))
    assert len(docs) == n_sents == 300
    assert sum(len(d) for d in docs) == n_words
    assert [d.text.rstrip(" ") for d in docs] == texts
    assert docs[0].has_annotation("DEP") and docs[0].has_annotation("TAG")
    assert all(d[0].is_sent_start for d in docs)


def test_conllu_sample_grouped_and_merged():
    n_sents, n_words, texts = _count_blocks(EWT_DEV)
    docs = list(conllu_to_docs(EWT_DEV, Vocab(), n_sents=7))
    assert len(docs) == -(-n_sents // 7)
    assert sum(len(d) for d in docs) == n_words
    assert sum(len(list(d.sents)) for d in docs) == n_sents
    assert [s.text.rstrip(" ") for d in docs for s in d.sents] == texts
    merged = list(conllu_to_docs(EWT_DEV, Vocab(), merge_subtokens=True))
    assert sum(len(d) for d in merged) < n_words
    assert [d.text.rstrip(" ") for d in merged] == texts


def test_iob_sample_matches_conllu_tokens():
    ud = list(read_conllu(EWT_DEV))
    ner = list(read_iob(UNER_DEV))
    assert [s.words for s in ner] == [s.words for s in ud]
    docs = list(iob_to_docs(UNER_DEV, Vocab()))
    assert len(docs) == 300
    labels = {e.label_ for d in docs for e in d.ents}
    assert labels == {"PER", "ORG", "LOC"}
    # spacing comes from the UNER file's own "# text" lines (older than UD's in places)
    assert [d.text.rstrip(" ") for d in docs] == _count_blocks(UNER_DEV)[2]


def test_jsonl_converter_with_tokenizer_argument():
    from treadle.tokens import Doc

    vocab = Vocab()

    def tokenize(text):
        return Doc(vocab, words=text.split(" "), spaces=[True] * (text.count(" ")) + [False])

    lines = [
        '{"text": "Ann visited New York", "entities": [[0, 3, "PER"], [12, 20, "LOC"]],'
        ' "cats": {"TRAVEL": 1.0}, "spans": {"sc": [[4, 11, "ACT"]]}}',
        '{"text": "Bob left"}',
    ]
    d1, d2 = jsonl_to_docs(lines, tokenize)
    assert [(e.text, e.label_) for e in d1.ents] == [("Ann", "PER"), ("New York", "LOC")]
    assert d1.cats == {"TRAVEL": 1.0}
    assert [(s.text, s.label_) for s in d1.spans["sc"]] == [("visited", "ACT")]
    assert d2.ents == () and d2.text == "Bob left"


def test_cli_convert_sample(tmp_path, capsys):
    rc = run_app(app, ["convert", str(DATA), str(tmp_path), "--n-sents", "10"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "ewt-sample-train.docbin: 100 docs, 1,000 sentences, 21,821 words" in out
    docs = list(DocBin().from_disk(tmp_path / "uner-sample-dev.docbin").get_docs(Vocab()))
    assert len(docs) == 30 and any(d.ents for d in docs)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ewt-sample-dev.docbin", "ewt-sample-train.docbin",
        "uner-sample-dev.docbin", "uner-sample-train.docbin",
    ]  # fmt: skip


def test_cli_convert_json_file_type(tmp_path):
    src = tmp_path / "tiny.conllu"
    src.write_text("# text = Hi\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n\n", encoding="utf8")
    rc = run_app(app, ["convert", str(src), str(tmp_path / "out"), "--file-type", "json"])
    assert rc == 0
    assert (tmp_path / "out" / "tiny.json").exists()


@pytest.mark.parametrize(
    "name,content,converter,expected",
    [
        ("bad.conllu", "# text = a\n1\ta\ta\tX\tX\t_\t5\tdep\t_\t_\n\n", "auto", "bad.conllu, line 2: bad HEAD"),
        ("bad.conllu", "1\ta\ta\n\n", "auto", "bad.conllu, line 1: expected 10 tab-separated"),
        ("bad.iob", "a O\nb X-PER\n", "auto", "bad.iob, line 2: Invalid entity tag 'X-PER'"),
        ("bad.txt", "a O\n", "auto", "cannot tell the format"),
        ("bad.txt", "a O\nb B-\n", "iob", "bad.txt, line 2"),
    ],
)
def test_cli_convert_errors_name_file_and_line(tmp_path, capsys, name, content, converter, expected):
    src = tmp_path / name
    src.write_text(content, encoding="utf8")
    rc = run_app(app, ["convert", str(src), str(tmp_path / "out"), "--converter", converter])
    assert rc == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_convert_missing_input_and_bad_options(tmp_path, capsys):
    assert run_app(app, ["convert", str(tmp_path / "nope.conllu"), str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err
    src = tmp_path / "a.conllu"
    src.write_text("1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n", encoding="utf8")
    assert run_app(app, ["convert", str(src), str(tmp_path), "--converter", "xml"]) == 1
    assert "Unknown converter 'xml'" in capsys.readouterr().err
    assert run_app(app, ["convert", str(src), str(tmp_path), "--n-sents", "0"]) == 1
    assert run_app(app, ["convert"]) == 2  # usage error


def test_cli_convert_jsonl_with_language_tokenizer(tmp_path, capsys):
    src = tmp_path / "ner.jsonl"
    src.write_text(
        '{"text": "Ann moved to New York.", "entities": [[0, 3, "PER"], [13, 21, "LOC"]]}\n'
        '{"text": "Nothing here", "cats": {"EMPTY": 1}}\n',
        encoding="utf8",
    )
    assert run_app(app, ["convert", str(src), str(tmp_path / "out"), "--lang", "en"]) == 0
    assert "2 docs, 2 sentences, 8 words" in capsys.readouterr().out
    d1, d2 = DocBin().from_disk(tmp_path / "out" / "ner.docbin").get_docs(Vocab())
    assert [(e.text, e.label_) for e in d1.ents] == [("Ann", "PER"), ("New York", "LOC")]
    assert d2.cats == {"EMPTY": 1.0}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf8")
    assert run_app(app, ["convert", str(bad), str(tmp_path / "out")]) == 1
    assert 'bad.jsonl, line 2: expected an object with a "text" string' in capsys.readouterr().err


def test_cli_convert_invalid_pos_names_sentence_line(tmp_path, capsys):
    src = tmp_path / "pos.conllu"
    good = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n\n"
    src.write_text(good + "# text = x\n1\tx\tx\tNOPE\tX\t_\t0\troot\t_\t_\n\n", encoding="utf8")
    assert run_app(app, ["convert", str(src), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "pos.conllu, sentence at line 3" in err and "NOPE" in err
