"""Configs written for confection (spaCy/Thinc's config system) read, resolve and
write back as confection reads them, with treadle's error messages (issue 16)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treadle.config import Config, ConfigValidationError, Registries
from treadle.config.config import MAX_DEPTH
from treadle.errors import ConfigError, RegistryError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def reg() -> Registries:
    reg = Registries()

    @reg.layers("chain.test.v1")
    def chain(*layers: int) -> list:
        return list(layers)

    @reg.layers("relu.test.v1")
    def relu(width: int = 4) -> int:
        return width

    @reg.layers("word.test.v1")
    def word() -> str:
        return "word"

    @reg.misc("sizes.test.v1")
    def sizes(sizes: list[int], named: dict[str, int] | None = None) -> tuple:
        return (sizes, named)

    @reg.misc("no_args.test.v1")
    def no_args(width: int = 1) -> int:
        return width

    return reg


# ------------------------------------------------------------- ${section:key}


COLON = """
[a]
x = 1

[a.b]
y = "two"

[c]
colon = ${a:x}
dotted = ${a.x}
text = "x is ${a:x}"
section = ${a:b}
deep = ${a.b:y}
"""


def test_colon_reference_means_the_dotted_one():
    cfg = Config().from_str(COLON)
    assert cfg["c"] == {
        "colon": 1,
        "dotted": 1,
        "text": "x is 1",
        "section": {"y": "two"},
        "deep": "two",
    }


def test_uninterpolated_to_str_keeps_both_spellings():
    raw = Config().from_str(COLON, interpolate=False)
    text = raw.to_str()
    for line in ("colon = ${a:x}", "dotted = ${a.x}", 'text = "x is ${a:x}"', "deep = ${a.b:y}"):
        assert line in text.splitlines()
    assert Config().from_str(text, interpolate=False) == raw
    assert Config().from_str(text) == Config().from_str(COLON)


def test_missing_colon_reference_is_named_as_written():
    with pytest.raises(ConfigError, match=r"'c\.v' refers to \$\{a:nope\}, which does not exist"):
        Config().from_str("[a]\nx = 1\n[c]\nv = ${a:nope}\n")


def test_cycle_through_both_spellings_is_found():
    with pytest.raises(ConfigError, match="Circular reference"):
        Config().from_str("[a]\nx = ${b:y}\n[b]\ny = ${a.x}\n")


# ------------------------------------------------- references inside lists and dicts


REFS = """
[vars]
n = 2
name = "world"
pair = [1, 2]

[x]
commands = [1, ${vars.n}, 3]
greeting = ["hello ${vars.name}", ${vars.name}]
mapping = {"n": ${vars:n}, "label": "n=${vars.n}", "pair": ${vars.pair}}
"""


def test_whole_references_keep_their_type_inside_strings_they_are_text():
    x = Config().from_str(REFS)["x"]
    assert x["commands"] == [1, 2, 3]
    assert x["greeting"] == ["hello world", "world"]
    assert x["mapping"] == {"n": 2, "label": "n=2", "pair": [1, 2]}


def test_references_in_lists_write_back_unquoted():
    raw = Config().from_str(REFS, interpolate=False)
    text = raw.to_str()
    # As confection writes them, so confection reads the value itself, not its text.
    assert "commands = [1, ${vars.n}, 3]" in text.splitlines()
    assert 'greeting = ["hello ${vars.name}", ${vars.name}]' in text.splitlines()
    assert Config().from_str(text, interpolate=False) == raw


def test_malformed_value_error_names_only_its_own_line():
    text = "[a]\nx = [1, 2\n    y = 3\nz = 4\n"
    with pytest.raises(ConfigError) as exc:
        Config().from_str(text)
    msg = str(exc.value)
    assert "line 2: a.x: malformed list value: '[1, 2'" in msg
    assert "y = 3" not in msg and "z" not in msg.split("a.x")[1]


def test_reference_in_multiline_list():
    text = '[vars]\nn = 2\n[x]\nxs = [\n    1,\n    ${vars.n},\n    "${vars.n}!"\n]\n'
    assert Config().from_str(text)["x"]["xs"] == [1, 2, "2!"]


# ------------------------------------------------------------ multi-line values


def test_multiline_list_and_dict_closing_at_column_0():
    text = (
        "[a]\n"
        "xs = [\n"
        "    1,\n"
        "    # a comment inside\n"
        "    [2, 3]\n"
        "]\n"
        "d = {\n"
        '    "k": [\n'
        '        "v"\n'
        "    ]\n"
        "}\n"
        "after = 4\n"
    )
    assert Config().from_str(text)["a"] == {"xs": [1, [2, 3]], "d": {"k": ["v"]}, "after": 4}


def test_closing_bracket_with_no_open_value_is_still_an_error():
    with pytest.raises(ConfigError, match="line 3: expected"):
        Config().from_str("[a]\nx = [1]\n]\n")


# ---------------------------------------------------------------- common indent


def test_config_indented_as_a_whole_parses():
    indented = """
        [a]
        x = 1
        xs = [
            1,
            2
        ]
        text = first
            second

        [a.b]
        y = ${a.x}
        """
    assert Config().from_str(indented) == Config().from_str(textwrap.dedent(indented))
    assert Config().from_str(indented)["a"] == {
        "x": 1,
        "xs": [1, 2],
        "text": "first\nsecond",
        "b": {"y": 1},
    }


def test_indented_config_errors_keep_their_line_numbers():
    with pytest.raises(ConfigError, match="line 4: expected"):
        Config().from_str("\n    [a]\n    x = 1\n    oops\n")


# ------------------------------------------------------------ positional arguments


CHAIN = """
[model]

[model.chain]
@layers = "chain.test.v1"

[model.chain.*.relu1]
@layers = "relu.test.v1"
width = 8

[model.chain.*.relu2]
@layers = "relu.test.v1"
"""


def test_star_sections_are_positional_arguments(reg):
    assert reg.resolve(Config().from_str(CHAIN))["model"]["chain"] == [8, 4]


def test_star_list_is_positional_arguments(reg):
    cfg = Config().from_str('[model]\n[model.chain]\n@layers = "chain.test.v1"\n* = [1, "2"]\n')
    assert reg.resolve(cfg)["model"]["chain"] == [1, 2]
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve({"m": {"@layers": "chain.test.v1", "*": [1, "many"]}})
    assert exc.value.errors[0]["loc"] == ["m", "*", 1]
    with pytest.raises(ConfigValidationError, match=r"m\.\*: The function takes no \*args"):
        reg.resolve({"m": {"@misc": "no_args.test.v1", "*": [1]}})


def test_star_list_of_blocks_resolves_each(reg):
    cfg = {"m": {"@layers": "chain.test.v1", "*": [{"@layers": "relu.test.v1"}, 5]}}
    assert reg.resolve(cfg)["m"] == [4, 5]


def test_fill_writes_defaults_into_star_sections_and_no_empty_header(reg):
    filled = reg.fill(Config().from_str(CHAIN))
    assert filled["model"]["chain"]["*"]["relu2"] == {"@layers": "relu.test.v1", "width": 4}
    text = filled.to_str()
    assert "[model.chain.*]" not in text.splitlines()
    assert "[model.chain.*.relu2]" in text.splitlines()
    assert Config().from_str(text) == filled


def test_star_section_with_values_keeps_its_header():
    cfg = Config({"a": {"*": {"x": 1, "y": {"z": 2}}}, "b": {"*": {}}})
    lines = cfg.to_str().splitlines()
    assert "[a.*]" in lines and "[b.*]" in lines
    assert Config().from_str(cfg.to_str()) == cfg


# ---------------------------------------------- blocks inside list and dict arguments


def test_blocks_inside_list_and_dict_arguments_resolve_before_validation(reg):
    cfg = {
        "a": {
            "@misc": "sizes.test.v1",
            "sizes": [1, {"@layers": "relu.test.v1", "width": "3"}],
            "named": {"x": {"@layers": "relu.test.v1"}},
        }
    }
    assert reg.resolve(cfg)["a"] == ([1, 3], {"x": 4})
    assert reg.fill(cfg)["a"]["sizes"][1] == {"@layers": "relu.test.v1", "width": "3"}


def test_block_result_of_the_wrong_type_inside_a_list_is_reported(reg):
    cfg = {"a": {"@misc": "sizes.test.v1", "sizes": [1, {"@layers": "word.test.v1"}]}}
    with pytest.raises(ConfigValidationError) as exc:
        reg.resolve(cfg)
    assert exc.value.errors[0]["loc"] == ["a", "sizes", 1]
    assert "valid integer" in exc.value.errors[0]["msg"]


def test_failed_block_inside_a_list_stops_its_caller(reg):
    calls = []
    reg.misc.register("record.test.v1", func=lambda items: calls.append(items))
    cfg = {"a": {"@misc": "record.test.v1", "items": [{"@layers": "relu.test.v1", "width": "x"}]}}
    with pytest.raises(ConfigValidationError, match=r"a\.items\.0\.width"):
        reg.resolve(cfg)
    # Unvalidated, an unknown function inside the list still keeps its caller uncalled.
    cfg = {"a": {"@misc": "record.test.v1", "items": [{"@layers": "nope.test.v1"}]}}
    with pytest.raises(ConfigValidationError, match=r"a\.items\.0\.@layers: Can't find"):
        reg.resolve(cfg, validate=False)
    assert calls == []


# ---------------------------------------------------------------------- errors


def test_config_errors_are_value_errors(reg):
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigValidationError, ValueError)
    assert issubclass(RegistryError, ValueError)
    with pytest.raises(ValueError, match="does not exist"):
        Config().from_str("[a]\nx = ${b.y}\n")
    with pytest.raises(ValueError, match="Can't find"):
        reg.get("layers", "nope.v1")


def test_unknown_function_is_collected_with_type_errors(reg):
    cfg = {
        "a": {"@misc": "sizes.test.v1", "sizes": ["many"]},
        "b": {"@layers": "relu.test.v0"},
        "c": {"@layerz": "relu.test.v1"},
    }
    for method in (reg.resolve, reg.fill):
        with pytest.raises(ConfigValidationError) as exc:
            method(cfg)
        by_loc = {".".join(map(str, e["loc"])): e["msg"] for e in exc.value.errors}
        assert "valid integer" in by_loc["a.sizes.0"]
        assert "Did you mean: relu.test.v1" in by_loc["b.@layers"]
        assert "Unknown registry category 'layerz'" in by_loc["c.@layerz"]


def test_unknown_function_without_validation_is_still_one_error(reg):
    with pytest.raises(ConfigValidationError, match=r"b\.@layers: Can't find"):
        reg.resolve({"b": {"@layers": "relu.test.v0"}}, validate=False)
    with pytest.raises(ConfigValidationError, match=r"b\.@layers: Can't find"):
        reg.fill({"b": {"@layers": "relu.test.v0"}}, validate=False)


def test_top_level_block_is_a_config_error(reg):
    cfg = {"@layers": "relu.test.v1", "width": 2}
    for method in (reg.resolve, reg.fill):
        with pytest.raises(ConfigError, match="top level of a config can't call"):
            method(cfg)


def test_interpolate_refuses_what_to_str_cannot_write():
    for interpolated in (False, True):
        with pytest.raises(ConfigError, match="can't be written back.*object"):
            Config({"a": {"x": object()}}, is_interpolated=interpolated).interpolate()
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    text = f"[a]\nd = {deep}\n[b]\nx = [[${{a.d}}]]\n"
    Config().from_str(text, interpolate=False)  # fine until interpolated
    with pytest.raises(ConfigError, match=r"'b\.x'.*nested more than"):
        Config().from_str(text)


def test_dict_values_that_cannot_be_sections_write_inline():
    cfg = Config().from_str('[a]\nx = 1\n[b]\ny = {"p.q": {"r": ${a.x}}}\n')
    assert cfg["b"]["y"] == {"p.q": {"r": 1}}
    assert Config().from_str(cfg.to_str()) == cfg


_TEXT_PARTS = st.sampled_from(
    ["[s]", "[s.t]", "[a]", "[s.*.u]", "x = ", "y = ", "${s.x}", "${s:x}", "${a}", "[", "]",
     "{", "}", '"', ",", "1", "$$", "  ", "    ", "\n", "\n]", ": ", '"k"']
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT_PARTS, max_size=30).map("".join))
def test_what_interpolates_writes_and_reads_back(text):
    try:
        cfg = Config().from_str(text)
    except ConfigError:
        return
    assert Config().from_str(cfg.to_str()) == cfg


# ------------------------------------------------------------ parents of sections


def test_section_without_parent_is_rejected():
    with pytest.raises(ConfigError) as exc:
        Config().from_str("[training]\nx = 1\n\n[trainng.optimizer]\nlr = 1\n")
    msg = str(exc.value)
    assert "line 4: section [trainng.optimizer] has no parent section [trainng]" in msg
    assert "Did you mean [training]?" in msg


def test_parent_may_come_later_and_star_needs_no_header():
    cfg = Config().from_str("[a.b]\nx = 1\n[a]\n[a.*.c]\ny = 2\n")
    assert cfg == {"a": {"b": {"x": 1}, "*": {"c": {"y": 2}}}}
    with pytest.raises(ConfigError, match=r"section \[m\.\*\.c\] has no parent section \[m\]"):
        Config().from_str("[m.*.c]\ny = 2\n")


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(REPO) for p in REPO.glob("**/*.cfg") if ".venv" not in p.parts)
)
def test_shipped_configs_have_their_parent_sections(path):
    text = (REPO / path).read_text(encoding="utf8")
    cfg = Config().from_str(text, interpolate=False)
    assert Config().from_str(cfg.to_str(), interpolate=False) == cfg


class Pipeline:
    """A class hint for a factory's ``nlp`` (module level, so the hint resolves)."""


def test_component_blocks_still_get_the_runtime_nlp_unvalidated(reg):
    def make(nlp: Pipeline, name: str, size: int = 1) -> object:
        return object()

    reg.factories.register("typed_nlp.test", func=make)
    filled = reg.fill({"components": {"c": {"factory": "typed_nlp.test"}}})
    assert filled["components"]["c"] == {"factory": "typed_nlp.test", "size": 1}
