"""Hostile and broken configs (issue 14): each fails fast with a ConfigError that names
the key or the file and line, or works; never a RecursionError, a hang or a raw
decode error."""

from __future__ import annotations

import time

import pytest

from tests.helpers import HANG_S
from treadle.config import Config, parse_cli_overrides
from treadle.config.config import MAX_DEPTH, MAX_INTERPOLATED_SIZE
from treadle.errors import ConfigError


def _chain(n: int) -> str:
    return "[s]\n" + "".join(f"a{i} = ${{s.a{i + 1}}}\n" for i in range(n)) + f"a{n} = 7\n"


def test_long_reference_chain_interpolates():
    start = time.perf_counter()
    cfg = Config().from_str(_chain(5000))
    assert cfg["s"]["a0"] == 7 and cfg["s"]["a4999"] == 7
    assert time.perf_counter() - start < HANG_S


def test_long_chain_through_sections():
    # Each section refers to the next one whole: depth stays flat, 2,000 hops.
    n = 2000
    text = "".join(f"[s{i}]\nv = ${{s{i + 1}.v}}\n" for i in range(n)) + f"[s{n}]\nv = 1\n"
    assert Config().from_str(text)["s0"]["v"] == 1


def test_long_cycle_names_its_keys():
    n = 5000
    text = "[s]\n" + "".join(f"a{i} = ${{s.a{(i + 1) % n}}}\n" for i in range(n))
    with pytest.raises(ConfigError, match="Circular") as exc:
        Config().from_str(text)
    assert "s.a0" in str(exc.value) and "s.a4999" in str(exc.value)


def test_cycle_through_a_section_names_the_key():
    with pytest.raises(ConfigError, match=r"Circular.*'a\.x'"):
        Config().from_str("[a]\nx = ${a}\n")


@pytest.mark.parametrize(
    "template",
    ['a{j} = "${{s.a{i}}}${{s.a{i}}}"\n', "a{j} = [${{s.a{i}}}, ${{s.a{i}}}]\n"],
    ids=["strings", "lists"],
)
def test_doubling_references_hit_the_size_limit(template):
    text = '[s]\na0 = "xy"\n' + "".join(template.format(i=i, j=i + 1) for i in range(40))
    assert len(text) < 2000
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="MAX_INTERPOLATED_SIZE") as exc:
        Config().from_str(text)
    assert time.perf_counter() - start < HANG_S
    assert "Config key 's.a" in str(exc.value)


def test_size_limit_counts_every_use():
    # 1,000 keys each copying one 5,000-character value: 5 million characters in all.
    big = "x" * 5000
    text = f'[s]\nbig = "{big}"\n' + "".join(f"k{i} = ${{s.big}}\n" for i in range(1000))
    assert MAX_INTERPOLATED_SIZE < 5000 * 1000
    with pytest.raises(ConfigError, match="MAX_INTERPOLATED_SIZE"):
        Config().from_str(text)
    # The same config without interpolation is fine, and so are a few uses.
    Config().from_str(text, interpolate=False)
    Config().from_str(f'[s]\nbig = "{big}"\nk = ${{s.big}}\n')


def test_doubling_config_does_not_hang_load(tmp_path):
    import treadle

    nlp = treadle.blank("en")
    nlp.to_disk(tmp_path / "p")
    cfg = (tmp_path / "p" / "config.cfg").read_text(encoding="utf8")
    bomb = '[bomb]\na0 = "xy"\n' + "".join(
        f'a{i + 1} = "${{bomb.a{i}}}${{bomb.a{i}}}"\n' for i in range(40)
    )
    (tmp_path / "p" / "config.cfg").write_text(cfg + "\n" + bomb, encoding="utf8")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="bomb.a"):
        treadle.load(tmp_path / "p")
    assert time.perf_counter() - start < HANG_S


def test_unclosed_list_fails_in_linear_time():
    # 200,000 items: the quadratic scan this replaced took over 20 s for 50,000.
    text = "[s]\nx = [" + ", ".join(['" #"'] * 200_000) + "\n"
    assert len(text) > 1_200_000
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"line 2: s\.x: malformed list") as exc:
        Config().from_str(text)
    assert time.perf_counter() - start < HANG_S
    assert len(str(exc.value)) < 300  # the value is not copied whole into the message


def test_unclosed_multiline_list_names_its_first_line():
    text = "[s]\ny = 1\nx = [\n" + "".join('    " #",\n' for _ in range(200_000))
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"line 3: s\.x: malformed list"):
        Config().from_str(text)
    assert time.perf_counter() - start < HANG_S


def test_inline_comments_still_split():
    cfg = Config().from_str('[s]\na = 0.1  # why\nb = ["x #", "y"] ; z\nc = ${s.a} # c\nd = plain # text\n')
    assert cfg["s"] == {"a": 0.1, "b": ["x #", "y"], "c": 0.1, "d": "plain # text"}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 100_000])
def test_deeply_nested_value(depth):
    text = "[s]\nx = " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(ConfigError, match=r"line 2: s\.x: value nested more than"):
        Config().from_str(text)


def test_nesting_at_the_limit_round_trips():
    value = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    cfg = Config().from_str(f"[s]\nx = {value}\n")
    assert Config().from_str(cfg.to_str()) == cfg


def test_deep_unclosed_value_is_malformed_not_recursion():
    with pytest.raises(ConfigError, match="line 2"):
        Config().from_str("[s]\nx = " + "[" * 100_000 + "\n")


def test_deep_section_name():
    text = "[" + ".".join(["a"] * 5000) + "]\nx = 1\n"
    with pytest.raises(ConfigError, match="line 1: section .* nests more than"):
        Config().from_str(text)


def test_interpolation_that_builds_depth():
    # Each value wraps the one before in a list: nested 300 deep after interpolation.
    text = "[s]\na0 = 1\n" + "".join(f"a{i + 1} = [${{s.a{i}}}]\n" for i in range(300))
    with pytest.raises(ConfigError, match=r"'s\.a\d+'.* nested more than"):
        Config().from_str(text)


def test_deep_python_tree_is_refused_on_interpolate():
    # Deeper than a parsed config can be (sections and values each within MAX_DEPTH),
    # yet shallow enough for Config() to copy.
    value: list = []
    for _ in range(2 * MAX_DEPTH + 50):
        value = [value]
    cfg = Config({"s": {"x": value}}, is_interpolated=False)
    with pytest.raises(ConfigError, match="s.x"):
        cfg.interpolate()


def test_invalid_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "bad.cfg"
    path.write_bytes(b"[s]\nx = 1\ny = \"caf\xe9\"\n")
    with pytest.raises(ConfigError, match=r"bad\.cfg, line 3: not valid UTF-8"):
        Config().from_disk(path)


def test_binary_file_as_config(tmp_path):
    path = tmp_path / "model.cfg"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match="model.cfg"):
        Config().from_disk(path)


def test_nul_byte_names_the_line():
    with pytest.raises(ConfigError, match="line 3: NUL byte"):
        Config().from_str("[s]\nx = 1\ny = a\x00b\n")


def test_lone_surrogate_in_text():
    with pytest.raises(ConfigError, match="line 2: text is not valid UTF-8"):
        Config().from_str("[s]\nx = \udcff\n")


def test_huge_integer_is_an_error_not_a_string():
    with pytest.raises(ConfigError, match=r"s\.x: number too large"):
        Config().from_str("[s]\nx = 1" + "0" * 5000 + "\n")


def test_huge_float_round_trips():
    cfg = Config().from_str("[s]\nx = 1e999999\ny = -1e999999\n")
    assert cfg["s"]["x"] == float("inf")
    assert Config().from_str(cfg.to_str()) == cfg


def test_unwritable_value_is_config_error():
    with pytest.raises(ConfigError, match="Can't write value"):
        Config({"s": {"x": 10**5000}}).to_str()


def test_unreadable_config_path(tmp_path):
    with pytest.raises(ConfigError, match="directory"):
        Config().from_disk(tmp_path)


# --------------------------------------------------------------------------- overrides


def test_deep_override_value():
    with pytest.raises(ConfigError, match="--s.x.*nested more than"):
        parse_cli_overrides(["--s.x", "[" * 100_000 + "]" * 100_000], env_var=None)


def test_unclosed_override_list_is_linear():
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="--s.x.*malformed list"):
        parse_cli_overrides(["--s.x", "[" + ", ".join(['" #"'] * 200_000)], env_var=None)
    assert time.perf_counter() - start < HANG_S


def test_unbalanced_quote_in_environment(monkeypatch):
    monkeypatch.setenv("TREADLE_CONFIG_OVERRIDES", '--training.dropout "0.2')
    with pytest.raises(ConfigError, match=r"\$TREADLE_CONFIG_OVERRIDES.*No closing quotation"):
        parse_cli_overrides([])


def test_undecodable_override_value():
    with pytest.raises(ConfigError, match="--s.x.*not valid UTF-8"):
        parse_cli_overrides(["--s.x", "caf\udce9"], env_var=None)
