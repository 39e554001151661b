"""Property tests of the config parser (issue 14): on any text, parsing either succeeds
and the result round-trips through ``to_str``/``from_str``, or raises ConfigError;
nothing else, and each input parses in bounded time.

The budget is small by default (a few seconds); set ``TREADLE_HYPOTHESIS_EXAMPLES``
(e.g. 20000) for a long run. ``benchmarks/robustness_config.py`` fuzzes further.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import HANG_S
from treadle.config import Config
from treadle.errors import ConfigError

N_EXAMPLES = int(os.environ.get("TREADLE_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# A hang guard per input, not a speed test (see tests.helpers.HANG_S).
PER_INPUT_S = HANG_S

# Text made mostly of the characters that mean something to the parser.
CONFIG_CHARS = st.sampled_from(list('[]{}${}"\\=#;.,: \n\t\r0123456789abcxyz@-e+') + ["\x00", "é", "\udcff"])
config_text = st.one_of(
    st.text(CONFIG_CHARS, max_size=300),
    st.text(max_size=200),
    st.lists(
        st.tuples(
            st.sampled_from(["[s]", "[s.t]", "[a]", "x =", "y = ", "s.x", "${s.x}", "${a}", "$$", "  "]),
            st.text(CONFIG_CHARS, max_size=20),
        ),
        max_size=20,
    ).map(lambda parts: "\n".join(a + b for a, b in parts)),
)

names = st.text(st.sampled_from("abcxyz_@-0"), min_size=1, max_size=6)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False),
    st.text(CONFIG_CHARS.filter(lambda c: c not in "\x00\udcff"), max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)
    ),
    max_leaves=12,
)
sections = st.recursive(
    st.dictionaries(names, json_values.filter(lambda v: not isinstance(v, dict)), max_size=4),
    lambda inner: st.dictionaries(names, st.one_of(inner, scalars), min_size=1, max_size=4),
    max_leaves=10,
)
configs = st.dictionaries(names, sections, max_size=4)


def _timed_parse(text: str, *, interpolate: bool) -> Config | None:
    start = time.perf_counter()
    try:
        return Config().from_str(text, interpolate=interpolate)
    except ConfigError:
        return None
    finally:
        assert time.perf_counter() - start < PER_INPUT_S


@SETTINGS
@given(config_text, st.booleans())
def test_random_text_parses_or_raises_config_error(text, interpolate):
    cfg = _timed_parse(text, interpolate=interpolate)
    if cfg is None:
        return
    try:
        written = cfg.to_str()
    except ConfigError:
        # Some parsed trees can't be written (a key the writer would misread): refused
        # cleanly, which is what matters here.
        return
    assert Config().from_str(written, interpolate=interpolate) == cfg


@SETTINGS
@given(configs)
def test_structured_configs_round_trip(data):
    cfg = Config(data)
    try:
        text = cfg.to_str()
    except ConfigError:
        return
    assert Config().from_str(text) == cfg
    raw = Config(data, is_interpolated=False)
    try:
        raw_text = raw.to_str()
    except ConfigError:
        return
    again = _timed_parse(raw_text, interpolate=False)
    if again is not None:
        assert again == raw
