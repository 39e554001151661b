"""``--code``: importing user files (treadle/config/code.py), errors naming the file."""

from __future__ import annotations

import pytest

from treadle.config import import_code, registry
from treadle.errors import ConfigError


def test_import_code_registers(tmp_path):
    a = tmp_path / "funcs_a.py"
    a.write_text(
        "from treadle.config import registry\n"
        "@registry.misc('test_code.a.v1')\n"
        "def make(x: int = 1):\n    return x\n",
        encoding="utf8",
    )
    b = tmp_path / "funcs_b.py"
    b.write_text("VALUE = 2\n", encoding="utf8")
    mods = import_code([f"{a},{b}"])
    assert [m.VALUE for m in mods[1:]] == [2]
    assert registry.misc.get("test_code.a.v1")() == 1


def test_import_code_errors_name_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.py"):
        import_code([str(tmp_path / "missing.py")])
    bad = tmp_path / "broken.py"
    bad.write_text("def f(:\n", encoding="utf8")
    with pytest.raises(ConfigError, match="broken.py"):
        import_code(str(bad))
    boom = tmp_path / "boom.py"
    boom.write_text("raise RuntimeError('kaboom')\n", encoding="utf8")
    with pytest.raises(ConfigError, match="boom.py.*kaboom"):
        import_code(boom)
