"""The transformers extra stays optional: treadle.transformers imports without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from treadle.errors import MissingDependencyError, TreadleError
from treadle.transformers import INSTALL_HINT, require_transformers


def test_require_transformers_returns_the_module(transformers_mod):
    # The module now imported, not necessarily the fixture's object: loading a saved
    # model (from_pretrained, in an earlier test) can leave another module object for
    # "transformers" in sys.modules.
    assert require_transformers() is sys.modules["transformers"]
    assert require_transformers().__name__ == transformers_mod.__name__


def test_require_transformers_names_the_extra_when_missing(monkeypatch):
    # A None entry in sys.modules makes `import transformers` raise ImportError.
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingDependencyError) as info:
        require_transformers()
    assert isinstance(info.value, TreadleError)
    assert isinstance(info.value, ImportError)
    assert INSTALL_HINT in str(info.value)
    assert 'pip install "treadle[transformers]"' in str(info.value)


def test_package_imports_and_registers_without_the_extra():
    # One fresh interpreter (importing torch costs ~2 s): importing the package must
    # not load transformers, and with transformers and tokenizers unimportable the
    # registered functions still resolve and require_transformers names the extra.
    code = textwrap.dedent(
        """
        import sys
        sys.modules["tokenizers"] = None
        import treadle.transformers
        assert "transformers" not in sys.modules, "imported at load time"
        sys.modules["transformers"] = None
        from treadle.config import registry
        from treadle.errors import MissingDependencyError
        getter = registry.span_getters.get("treadle.strided_spans.v1")(window=4, stride=2)
        assert callable(getter)
        assert registry.layers.get("treadle.reduce_mean.v1")() is not None
        try:
            treadle.transformers.require_transformers()
        except MissingDependencyError:
            print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
