"""The commands' shared helpers (treadle/cli/_util.py): treadle's default training config."""

from __future__ import annotations


def test_default_configs_parse_and_match_schemas():
    from treadle.cli._util import default_config
    from treadle.config.resolve import _check_sections

    for pretraining in (False, True):
        config = default_config(pretraining=pretraining).interpolate()
        errors: list = []
        _check_sections(config, None, errors)
        assert errors == []
    config = default_config().interpolate()
    assert config["training"]["batcher"]["size"]["@schedules"] == "compounding.v1"
    assert config["initialize"]["vectors"] is None
