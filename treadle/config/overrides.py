"""Config overrides from the command line and the ``TREADLE_CONFIG_OVERRIDES`` variable."""

from __future__ import annotations

import os
import shlex
from typing import Any

from treadle.config.config import _ValueSyntaxError, parse_value
from treadle.errors import ConfigError

ENV_VAR = "TREADLE_CONFIG_OVERRIDES"


def _parse_arg_list(args: list[str], origin: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ConfigError(
                f"Unexpected argument {arg!r} in {origin}: config overrides look like "
                f"'--section.key value'"
            )
        name = arg[2:]
        if "=" in name:
            name, raw = name.split("=", 1)
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            raw = args[i + 1]
            i += 2
        else:
            raw = "true"
            i += 1
        if "." not in name or name.startswith(".") or name.endswith("."):
            raise ConfigError(
                f"Unknown option --{name} in {origin}: config overrides must name a section "
                f"and a key, like --training.dropout 0.2"
            )
        try:
            raw.encode("utf8")
        except UnicodeEncodeError:
            # Undecodable bytes on the command line arrive as lone surrogates.
            raise ConfigError(f"Config override --{name} in {origin}: value is not valid UTF-8") from None
        try:
            result[name] = parse_value(raw)
        except _ValueSyntaxError as err:
            raise ConfigError(f"Config override --{name} in {origin}: {err}") from None
    return result


def parse_cli_overrides(args: list[str], env_var: str | None = ENV_VAR) -> dict[str, Any]:
    """Turn ``["--training.dropout", "0.2", "--paths.train=x"]`` into a dotted-key dict.

    A flag without a value means ``true``. Values parse like config values (JSON where
    they parse, strings otherwise). Overrides in the environment variable ``env_var``
    use the same syntax and win over the command line.
    """
    overrides = _parse_arg_list(list(args), "command-line arguments")
    env_text = os.environ.get(env_var, "") if env_var else ""
    if env_text.strip():
        try:
            env_args = shlex.split(env_text)
        except ValueError as err:
            # shlex's own words: "No closing quotation" / "No escaped character".
            raise ConfigError(
                f"Can't read the config overrides in ${env_var}: {err} "
                f"(quote values like --paths.train \"my file.docbin\")"
            ) from None
        overrides.update(_parse_arg_list(env_args, f"${env_var}"))
    return overrides
