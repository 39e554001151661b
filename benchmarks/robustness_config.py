"""Fuzz treadle's config parser and overrides (issue 14, "Hostile and broken input").

``run(budget_s)`` spends the budget on mutations of real starter configs
(``make_starter_config``), random text and random override arguments, plus the
issue's fixed probes once each, and returns one row per probe::

    {"probe", "inputs", "clean_errors", "crashes", "hangs", "silent"}

- clean_errors: inputs that raised ``ConfigError`` (the wanted failure);
- crashes: any other exception (RecursionError, TypeError, ...);
- hangs: inputs that took longer than ``PER_INPUT_S`` (interrupted by a timer);
- silent: inputs that parsed but did not round-trip through ``to_str``/``from_str``,
  or fixed probes that should fail and did not.

The aim is 0 crashes and 0 hangs. Run from the repository root as a module, so this
checkout's ``treadle`` is the one imported: ``python -m benchmarks.robustness_config
--budget 60`` (prints the table, inputs per minute, and the first crashes seen).
"""

from __future__ import annotations

import argparse
import random
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from treadle.config import Config, parse_cli_overrides
from treadle.errors import ConfigError

PER_INPUT_S = 2.0
PIPELINES = (["tagger"], ["ner"], ["tagger", "parser"], ["textcat"], ["tagger", "ner", "parser"])
ALPHABET = '[]{}$"\\=#;.,: \n\t0123456789abcxyz@-e+é'
SNIPPETS = [
    "${", "}", "[", "]", '"', "\\", " #", " ;", "=", "\n", "\n  ", "$$", "\x00", "\udcff",
    "1e999", "9" * 5000, "\n[x]\n", "\n[nlp]\n", "null", "true", "[" * 2000, "]" * 50,
    '"' + "a" * 1000, "${a}${a}", "\r\n", "\ufeff",
]  # fmt: skip


class _Timeout(Exception):
    pass


def _starter_texts() -> tuple[list[str], list[str]]:
    """Starter configs as text, and their dotted keys (targets for inserted references)."""
    from treadle.training.templates import make_starter_config

    texts, keys = [], set()
    for pipeline in PIPELINES:
        for optimize in ("efficiency", "accuracy"):
            cfg, _ = make_starter_config("en", pipeline, optimize=optimize)
            texts.append(cfg.to_str())
            keys.update(".".join(path) for path, _ in cfg.walk())
    return texts, sorted(keys)


def _mutate(text: str, rng: random.Random, keys: list[str]) -> str:
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(text) + 1)
        if op < 0.25:
            text = text[:i] + rng.choice(ALPHABET) + text[i + 1 :]
        elif op < 0.45:
            text = text[:i] + rng.choice(SNIPPETS) + text[i:]
        elif op < 0.6:
            text = text[:i] + "${" + rng.choice(keys) + "}" + text[i:]
        elif op < 0.72:
            text = text[:i] + text[i + rng.randint(1, 200) :]
        elif op < 0.84:
            j = min(len(text), i + rng.randint(1, 400))
            text = text[:j] + text[i:j] + text[j:]
        else:
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


def _random_text(rng: random.Random, keys: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(1, 30)):
        r = rng.random()
        if r < 0.2:
            parts.append(f"[{rng.choice(keys)}]\n")
        elif r < 0.5:
            parts.append(f"{rng.choice('abxy@')} = ")
        elif r < 0.7:
            parts.append(rng.choice(SNIPPETS))
        else:
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30))))
    return "".join(parts)


def _random_overrides(rng: random.Random, keys: list[str]) -> list[str]:
    args = []
    for _ in range(rng.randint(1, 4)):
        key = rng.choice([*keys, "a", "a.", ".b", "x.y.z"])
        value = rng.choice([
            rng.choice(SNIPPETS), _random_text(rng, keys)[:100], "[" * rng.randint(1, 3000),
            "[" * 500 + "]" * 500, '"' * rng.randint(1, 3), "0.2",
        ])  # fmt: skip
        args.extend([f"--{key}", value] if rng.random() < 0.8 else [f"--{key}={value}"])
    return args


def _check_parse(text: str, interpolate: bool) -> str:
    """``"ok"``, ``"clean"`` or ``"silent"`` (parsed but did not round-trip)."""
    try:
        cfg = Config().from_str(text, interpolate=interpolate)
    except ConfigError:
        return "clean"
    try:
        written = cfg.to_str()
    except ConfigError:
        return "clean"
    return "ok" if Config().from_str(written, interpolate=interpolate) == cfg else "silent"


def _check_overrides(args: list[str], base: str) -> str:
    try:
        overrides = parse_cli_overrides(args, env_var=None)
        Config().from_str(base, overrides=overrides)
    except ConfigError:
        return "clean"
    return "ok"


def _fixed_probes() -> list[tuple[str, str, bool]]:
    """The issue's probes: (name, text, must_fail)."""
    n = 5000
    chain = "[s]\n" + "".join(f"a{i} = ${{s.a{i + 1}}}\n" for i in range(n)) + f"a{n} = 1\n"
    cycle = "[s]\n" + "".join(f"a{i} = ${{s.a{(i + 1) % n}}}\n" for i in range(n))
    double = '[s]\na0 = "xy"\n' + "".join(f'a{i + 1} = "${{s.a{i}}}${{s.a{i}}}"\n' for i in range(40))
    double_list = "[s]\na0 = 1\n" + "".join(f"a{i + 1} = [${{s.a{i}}}, ${{s.a{i}}}]\n" for i in range(40))
    unclosed = "[s]\nx = [" + ", ".join(['" #"'] * 50_000) + "\n"
    deep = "[s]\nx = " + "[" * 100_000 + "]" * 100_000 + "\n"
    return [
        ("chain of 5,000 references", chain, False),
        ("cycle of 5,000 references", cycle, True),
        ("doubling strings", double, True),
        ("doubling lists", double_list, True),
        ("unclosed list of 50,000 ' #'", unclosed, True),
        ("list nested 100,000 deep", deep, True),
        ("section nested 5,000 deep", "[" + ".".join(["a"] * 5000) + "]\nx = 1\n", True),
        ("NUL byte", "[s]\nx = a\x00b\n", True),
        ("lone surrogate", "[s]\nx = \udcff\n", True),
        ("integer of 5,000 digits", "[s]\nx = 1" + "0" * 5000 + "\n", True),
    ]


def _timed(fn: Callable[[], str]) -> str:
    """Run ``fn`` under a timer that interrupts it after PER_INPUT_S: "hang" or "crash"
    or what ``fn`` returns."""
    use_timer = threading.current_thread() is threading.main_thread()
    if use_timer:
        signal.setitimer(signal.ITIMER_REAL, PER_INPUT_S)
    start = time.perf_counter()
    try:
        result = fn()
    except _Timeout:
        return "hang"
    except Exception:  # noqa: BLE001 - counting crashes is the point
        _CRASHES.append(traceback.format_exc(limit=3))
        return "crash"
    finally:
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return "hang" if time.perf_counter() - start > PER_INPUT_S else result


_CRASHES: list[str] = []


def _row(probe: str) -> dict[str, Any]:
    return {"probe": probe, "inputs": 0, "clean_errors": 0, "crashes": 0, "hangs": 0, "silent": 0}


def _count(row: dict[str, Any], outcome: str) -> None:
    row["inputs"] += 1
    key = {"clean": "clean_errors", "crash": "crashes", "hang": "hangs", "silent": "silent"}.get(outcome)
    if key:
        row[key] += 1


def run(budget_s: float, seed: int = 0) -> list[dict[str, Any]]:
    """Fuzz for about ``budget_s`` seconds; one row per probe."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm) if threading.current_thread() is threading.main_thread() else None
    try:
        return _run(budget_s, random.Random(seed))
    finally:
        if previous is not None:
            signal.signal(signal.SIGALRM, previous)


def _run(budget_s: float, rng: random.Random) -> list[dict[str, Any]]:
    start = time.perf_counter()
    texts, keys = _starter_texts()
    fixed = _row("issue probes")
    for _, text, must_fail in _fixed_probes():
        outcome = _timed(lambda text=text: _check_parse(text, True))
        _count(fixed, "silent" if must_fail and outcome == "ok" else outcome)
    fuzzers: list[tuple[dict[str, Any], Callable[[], str]]] = [
        (_row("mutated starter configs"),
         lambda: _check_parse(_mutate(rng.choice(texts), rng, keys), rng.random() < 0.7)),
        (_row("mutated, uninterpolated"),
         lambda: _check_parse(_mutate(rng.choice(texts), rng, keys), False)),
        (_row("random text"), lambda: _check_parse(_random_text(rng, keys), rng.random() < 0.5)),
        (_row("random overrides"),
         lambda: _check_overrides(_random_overrides(rng, keys), rng.choice(texts))),
    ]  # fmt: skip
    while time.perf_counter() - start < budget_s:
        for row, fn in fuzzers:
            _count(row, _timed(fn))
    return [fixed] + [row for row, _ in fuzzers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds to fuzz")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = run(args.budget, args.seed)
    elapsed = time.perf_counter() - start
    cols = ["probe", "inputs", "clean_errors", "crashes", "hangs", "silent"]
    print(f"{cols[0]:<28}" + "".join(f"{c:>14}" for c in cols[1:]))
    for row in rows:
        print(f"{row['probe']:<28}" + "".join(f"{row[c]:>14,}" for c in cols[1:]))
    total = sum(r["inputs"] for r in rows)
    print(f"\n{total:,} inputs in {elapsed:.1f} s: {total / elapsed * 60:,.0f} per minute")
    for crash in _CRASHES[:3]:
        print("\n" + crash)


if __name__ == "__main__":
    main()
