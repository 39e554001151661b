"""Registry lookups, categories and entry points (treadle/config/registry.py)."""

from __future__ import annotations

from importlib import metadata

import pytest

from tests.config import test_resolve
from treadle.config import Config, Registries, registry
from treadle.errors import RegistryError

reg = test_resolve.reg  # the registries fixture, defined beside test_used_functions


def test_register_get_contains_get_all(reg):
    assert "constant.test.v1" in reg.schedules
    assert "nope" not in reg.schedules
    assert reg.schedules.get("constant.test.v1")(2.0) == 2.0
    assert set(reg.schedules.get_all()) == {"compounding.test.v1", "constant.test.v1"}
    assert reg.get("misc", "calls.test.v1")() == []


def test_unknown_name_lists_closest(reg):
    with pytest.raises(RegistryError) as exc:
        reg.schedules.get("constant.test.v2")
    assert "constant.test.v1" in str(exc.value)


def test_create_category(reg):
    custom = reg.create("my_things")
    custom("x.v1", func=len)
    assert reg.my_things.get("x.v1") is len
    assert "my_things" in reg.categories
    with pytest.raises(RegistryError, match="my_thing"):
        reg.get_registry("my_thing")


def test_global_registry_categories():
    for name in [
        "architectures",
        "layers",
        "factories",
        "optimizers",
        "schedules",
        "losses",
        "batchers",
        "readers",
        "loggers",
        "callbacks",
        "initializers",
        "tokenizers",
        "languages",
        "vectors",
        "scorers",
        "span_getters",
        "annotation_setters",
        "misc",
    ]:
        assert registry.has(name)


class _FakeEntryPoint:
    def __init__(self, name, value):
        self.name = name
        self.value = value
        self.loaded = 0

    def load(self):
        self.loaded += 1
        return self.value


def test_entry_points_loaded_lazily(monkeypatch, reg):
    ep = _FakeEntryPoint("plugin.sched.v1", lambda rate=1.0: rate * 2)
    seen_groups = []

    def fake_entry_points(*, group):
        seen_groups.append(group)
        return [ep] if group == "treadle_schedules" else []

    monkeypatch.setattr(metadata, "entry_points", fake_entry_points)
    assert reg.schedules.get("constant.test.v1")  # registered names don't touch entry points
    assert seen_groups == []
    assert "plugin.sched.v1" in reg.schedules
    assert ep.loaded == 0  # listed, not imported yet
    assert reg.schedules.get("plugin.sched.v1")(3.0) == 6.0
    assert ep.loaded == 1
    cfg = Config({"s": {"x": {"@schedules": "plugin.sched.v1", "rate": 2}}})
    assert reg.resolve(cfg) == {"s": {"x": 4.0}}


def test_entry_points_from_dist_info(tmp_path, monkeypatch):
    pkg = tmp_path / "treadle_plugin_mod.py"
    pkg.write_text("def make(n: int = 2):\n    return ['plugin'] * n\n", encoding="utf8")
    dist = tmp_path / "treadle_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: treadle-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[treadle_misc]\nplugin.make.v1 = treadle_plugin_mod:make\n", encoding="utf8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = Registries()
    assert fresh.misc.get("plugin.make.v1")(n=1) == ["plugin"]
