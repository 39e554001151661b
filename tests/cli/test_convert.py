"""``treadle convert``: the shipped sample corpus, file types, errors naming file and line."""


import pytest

from tests.helpers import SAMPLE_DATA
from treadle.cli import app
from treadle.cli._errors import run_app
from treadle.tokens import DocBin, Vocab


def test_cli_convert_sample(tmp_path, capsys):
    rc = run_app(app, ["convert", str(SAMPLE_DATA), str(tmp_path), "--n-sents", "10"])
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


def test_cli_convert_recurses_and_keeps_the_folders(tmp_path, capsys):
    conllu = "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n\n"
    (tmp_path / "in" / "ud" / "deep").mkdir(parents=True)
    (tmp_path / "in" / ".hidden").mkdir()
    (tmp_path / "in" / "top.conllu").write_text(conllu, encoding="utf8")
    (tmp_path / "in" / "ud" / "deep" / "low.conllu").write_text(conllu, encoding="utf8")
    (tmp_path / "in" / ".hidden" / "skip.conllu").write_text(conllu, encoding="utf8")
    assert run_app(app, ["convert", str(tmp_path / "in"), str(tmp_path / "out")]) == 0
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.docbin"))
    assert written == ["top.docbin", "ud/deep/low.docbin"]


def test_cli_convert_refuses_two_inputs_with_one_output_name(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.conllu").write_text("1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n\n", encoding="utf8")
    (tmp_path / "in" / "a.iob").write_text("a O\n", encoding="utf8")
    assert run_app(app, ["convert", str(tmp_path / "in"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "a.conllu and" in err and "a.iob would both be written to" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_cli_convert_textcat_lines(tmp_path, capsys):
    src = tmp_path / "reviews.txt"
    src.write_text("POS\tA fine film .\n\nNEG a dull one\nNEUTRAL  it was on\n", encoding="utf8")
    args = ["convert", str(src), str(tmp_path / "out"), "--converter", "textcat"]
    assert run_app(app, args) == 0
    assert "(textcat)" in capsys.readouterr().out
    docs = list(DocBin().from_disk(tmp_path / "out" / "reviews.docbin").get_docs(Vocab()))
    assert [d.text for d in docs] == ["A fine film .", "a dull one", "it was on"]
    assert docs[0].cats == {"NEG": 0.0, "NEUTRAL": 0.0, "POS": 1.0}
    assert docs[1].cats == {"NEG": 1.0, "NEUTRAL": 0.0, "POS": 0.0}
    assert docs[2].cats["NEUTRAL"] == 1.0 and sum(docs[2].cats.values()) == 1.0
    bad = tmp_path / "bad.txt"
    bad.write_text("POS fine\nLONELY\n", encoding="utf8")
    assert run_app(app, ["convert", str(bad), str(tmp_path / "out"), "-c", "textcat"]) == 1
    assert "bad.txt, line 2: expected 'LABEL TEXT'" in capsys.readouterr().err
