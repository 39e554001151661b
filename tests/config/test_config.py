"""Config parsing, interpolation, overrides, merging and round trips."""

from __future__ import annotations

import random

import pytest

from treadle.config import Config
from treadle.errors import ConfigError

BASIC = """
# a comment
; another comment
[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.001

[system]
seed = 42
gpu_allocator = null

[training]
dropout = 0.1
flag = true
names = ["a", "b"]
mapping = {"x": 1, "y": [1, 2]}
plain = hello world
quoted = "1"
number = 1
seed = ${system.seed}
"""


def test_parse_types_and_nesting():
    cfg = Config().from_str(BASIC)
    assert isinstance(cfg, dict)
    training = cfg["training"]
    assert training["dropout"] == 0.1
    assert training["flag"] is True
    assert training["names"] == ["a", "b"]
    assert training["mapping"] == {"x": 1, "y": [1, 2]}
    assert training["plain"] == "hello world"
    assert training["quoted"] == "1" and training["number"] == 1
    assert cfg["system"]["gpu_allocator"] is None
    # child section defined before its parent
    assert training["optimizer"] == {"@optimizers": "Adam.v1", "learn_rate": 0.001}
    assert training["seed"] == 42


def test_multiline_values_and_inline_comment():
    text = (
        "[a]\nxs = [\n    1,\n    # skipped\n    2\n  ]\ny = 3  # three\nz = ok # not a comment\n"
    )
    cfg = Config().from_str(text)
    assert cfg["a"] == {"xs": [1, 2], "y": 3, "z": "ok # not a comment"}


def test_empty_value_and_empty_section():
    cfg = Config().from_str("[a]\nx =\n[b]\n")
    assert cfg == {"a": {"x": ""}, "b": {}}


@pytest.mark.parametrize(
    "text,line,needle",
    [
        ("[a]\nx = 1\n\nnot a key line\n", 4, "expected"),
        ("x = 1\n", 1, "before any [section]"),
        ("[a]\nx = [1, 2\n", 2, "malformed list"),
        ("[a]\nx = 1\nx = 2\n", 3, "duplicate key"),
        ("[a]\n[b]\n[a]\n", 3, "defined twice"),
        ("[a]\nb = 1\n[a.b]\n", 3, "conflicts"),
        ("[a..b]\n", 1, "invalid section"),
        ('[a]\nx = "unterminated\n', 2, "malformed string"),
    ],
)
def test_syntax_errors_name_line(text, line, needle):
    with pytest.raises(ConfigError) as exc:
        Config().from_str(text)
    assert f"line {line}" in str(exc.value)
    assert needle in str(exc.value)


def test_syntax_error_names_file(tmp_path):
    path = tmp_path / "bad.cfg"
    path.write_text("[a]\nx = 1\n[oops\n", encoding="utf8")
    with pytest.raises(ConfigError) as exc:
        Config().from_disk(path)
    assert str(path) in str(exc.value) and "line 3" in str(exc.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        Config().from_disk("/nonexistent/config.cfg")


# ------------------------------------------------------------------ interpolation


def test_interpolate_values_sections_and_strings():
    text = """
[paths]
version = 5
root = "/data"
train = "${paths.root}/train_${paths.version}.bin"
unquoted = ${paths.root}/dev
flag = "is ${system.flag}"

[system]
flag = true
seed = 3

[training]
seed = ${system.seed}
items = [${system.seed}, "x"]

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9

[pretraining]
optimizer = ${training.optimizer}
"""
    cfg = Config().from_str(text)
    assert cfg["paths"]["train"] == "/data/train_5.bin"
    assert cfg["paths"]["unquoted"] == "/data/dev"
    assert cfg["paths"]["flag"] == "is true"
    assert cfg["training"]["seed"] == 3
    assert cfg["training"]["items"] == [3, "x"]
    assert cfg["pretraining"]["optimizer"] == {"@optimizers": "Adam.v1", "beta1": 0.9}
    # a section reference is a copy, not an alias
    cfg["pretraining"]["optimizer"]["beta1"] = 0.5
    assert cfg["training"]["optimizer"]["beta1"] == 0.9


def test_chained_references():
    cfg = Config().from_str("[a]\nx = ${b.y}\n[b]\ny = ${c.z}\n[c]\nz = [1, 2]\n")
    assert cfg["a"]["x"] == [1, 2]


def test_section_reference_with_nested_references():
    text = "[s]\nseed = 7\n[a]\nseed = ${s.seed}\n[a.inner]\nv = ${s.seed}\n[b]\ncopy = ${a}\n"
    cfg = Config().from_str(text)
    assert cfg["b"]["copy"] == {"seed": 7, "inner": {"v": 7}}


def test_dollar_escape():
    cfg = Config().from_str(
        '[a]\nx = "costs $$5 ${b.c}"\ny = "$${not.a.ref}"\nz = "a$b"\n[b]\nc = 1\n'
    )
    assert cfg["a"] == {"x": "costs $5 1", "y": "${not.a.ref}", "z": "a$b"}


def test_missing_reference_names_both_places():
    with pytest.raises(ConfigError) as exc:
        Config().from_str("[training]\nseed = ${system.seed}\n[system]\nother = 1\n")
    msg = str(exc.value)
    assert "training.seed" in msg and "system.seed" in msg


def test_missing_section_reference():
    with pytest.raises(ConfigError, match="nope"):
        Config().from_str('[a]\nx = "${nope.y}/z"\n')


@pytest.mark.parametrize(
    "text",
    [
        "[a]\nx = ${a.y}\ny = ${a.x}\n",
        "[a]\nx = ${a}\n",
        '[a]\nx = "${b.y}"\n[b]\ny = "${a.x}!"\n',
    ],
)
def test_cycles_detected(text):
    with pytest.raises(ConfigError, match="Circular"):
        Config().from_str(text)


def test_uninterpolated_then_interpolate():
    text = '[a]\nx = ${b.y}\ns = "${b.y}-$$"\n[b]\ny = 2\n'
    raw = Config().from_str(text, interpolate=False)
    assert raw["a"]["x"] == "${b.y}"
    assert not raw.is_interpolated
    done = raw.interpolate()
    assert done["a"] == {"x": 2, "s": "2-$"}
    assert done.is_interpolated
    # raw config writes its references back unchanged
    again = Config().from_str(raw.to_str(), interpolate=False)
    assert again == raw
    assert Config().from_str(raw.to_str()) == done


# ------------------------------------------------------------------------ overrides


def test_overrides_applied_before_interpolation():
    text = '[paths]\nroot = "/a"\ntrain = "${paths.root}/t"\n[training]\nbatch_size = 1\n'
    cfg = Config().from_str(text, overrides={"paths.root": "/b", "training.batch_size": 128})
    assert cfg["paths"]["train"] == "/b/t"
    assert cfg["training"]["batch_size"] == 128


def test_override_unknown_key_and_section():
    text = '[training]\nbatch_size = 1\n[training.opt]\n@optimizers = "Adam.v1"\n'
    with pytest.raises(ConfigError, match="training.batch_sise"):
        Config().from_str(text, overrides={"training.batch_sise": 2})
    with pytest.raises(ConfigError, match="trainig"):
        Config().from_str(text, overrides={"trainig.batch_size": 2})
    with pytest.raises(ConfigError, match="section and a key"):
        Config().from_str(text, overrides={"training": 2})
    # a new argument inside a registered-function block is fine
    cfg = Config().from_str(text, overrides={"training.opt.learn_rate": 0.1})
    assert cfg["training"]["opt"]["learn_rate"] == 0.1


def test_from_disk_overrides(tmp_path):
    path = tmp_path / "c.cfg"
    path.write_text("[a]\nx = 1\n", encoding="utf8")
    assert Config().from_disk(path, overrides={"a.x": 2})["a"]["x"] == 2


# ---------------------------------------------------------------- merge and copy


def test_merge_deep_and_function_replacement():
    base = Config(
        {
            "training": {
                "dropout": 0.1,
                "optimizer": {"@optimizers": "Adam.v1", "beta1": 0.9, "learn_rate": 0.1},
                "batcher": {"@batchers": "b.v1", "size": 10},
            }
        }
    )
    other = {
        "training": {
            "optimizer": {"@optimizers": "SGD.v1", "learn_rate": 0.5},
            "batcher": {"@batchers": "b.v1", "tolerance": 0.2},
            "patience": 3,
        }
    }
    merged = base.merge(other)
    assert merged["training"]["optimizer"] == {"@optimizers": "SGD.v1", "learn_rate": 0.5}
    assert merged["training"]["batcher"] == {"@batchers": "b.v1", "size": 10, "tolerance": 0.2}
    assert merged["training"]["dropout"] == 0.1 and merged["training"]["patience"] == 3
    assert "patience" not in base["training"]  # merge returns a new config
    assert isinstance(merged, Config)


def test_copy_is_deep():
    cfg = Config({"a": {"b": {"c": [1]}}})
    dup = cfg.copy()
    dup["a"]["b"]["c"].append(2)
    assert cfg["a"]["b"]["c"] == [1]
    assert isinstance(dup, Config)


# ----------------------------------------------------------------------- round trip

ROUND_TRIP_CASES = [
    {"a": {}},
    {"a": {"x": None, "y": True, "z": False, "n": 0, "f": -1.5e-8, "s": ""}},
    {"a": {"s": "1", "t": "true", "u": "null", "v": "[1]", "w": '"quoted"'}},
    {"a": {"dollar": "$", "ref": "${a.b}", "esc": "$$", "mix": "x$${y}$"}},
    {"a": {"uni": "naïve café 東京 🚀", "nl": "line1\nline2\ttab\r"}},
    {"a": {"list": [{"x": [{"y": 1}]}, [], {}], "d": {"k": {"j": [None]}}}},
    {"a": {"b": {"c": {"d": {}}}}, "e": {"f": 1}},
    {"a": {"@misc": "f.v1", "arg": {"@misc": "g.v1"}}},
    {"a": {"comment": "# not a comment", "semi": "; nor this", "eq": "a = b"}},
    {"a": {"s": "  padded  ", "bracket": "[not a section]"}},
]


@pytest.mark.parametrize("data", ROUND_TRIP_CASES)
def test_round_trip_cases(data):
    cfg = Config(data)
    text = cfg.to_str()
    assert Config().from_str(text) == cfg


def _random_value(rng: random.Random, depth: int):
    kinds = ["int", "float", "bool", "none", "str", "numstr", "dollar"]
    if depth < 3:
        kinds += ["list", "dict"]
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.randint(-(10**12), 10**12)
    if kind == "float":
        return rng.uniform(-1e6, 1e6)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "numstr":
        return rng.choice(["1", "0.5", "true", "null", "-3", "[]", "{}"])
    if kind == "dollar":
        return rng.choice(["$", "${x.y}", "$$", "a$b", "$${", "${", "}"])
    if kind == "str":
        alphabet = "abcXYZ 09_-./#;=[]{}\"'\\\n\té東🚀$"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def _random_section(rng: random.Random, depth: int) -> dict:
    section: dict = {}
    for i in range(rng.randint(0, 5)):
        section[f"key_{i}"] = _random_value(rng, 1)
    if depth < 3:
        for i in range(rng.randint(0, 2)):
            section[f"sub{i}"] = _random_section(rng, depth + 1)
    if rng.random() < 0.2:
        section["@misc"] = "fn.v1"
    return section


def test_round_trip_random():
    rng = random.Random(1234)
    for _ in range(300):
        data = {f"s{i}": _random_section(rng, 1) for i in range(rng.randint(1, 4))}
        cfg = Config(data)
        text = cfg.to_str()
        assert Config().from_str(text) == cfg, text


def test_to_str_parent_first_and_disk(tmp_path):
    cfg = Config({"a": {"b": {"c": 1}, "x": 2}})
    text = cfg.to_str()
    assert text.index("[a]") < text.index("[a.b]")
    path = tmp_path / "sub" / "config.cfg"
    cfg.to_disk(path)
    assert Config().from_disk(path) == cfg
    assert [p.name for p in path.parent.iterdir()] == ["config.cfg"]


def test_to_str_rejects_non_section_top_level():
    with pytest.raises(ConfigError, match="top-level"):
        Config({"a": 1}).to_str()
