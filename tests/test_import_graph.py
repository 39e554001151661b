"""The package's import graph keeps to docs/architecture.md (scripts/import_graph.py)."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "import_graph.py"


@pytest.fixture(scope="module")
def import_graph():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def test_no_import_cycle(import_graph):
    graph = import_graph.build_graph()
    assert "treadle.language" in graph and graph["treadle.language"]
    assert import_graph.cycles(graph) == []


def test_language_imports_its_collaborators_at_load_time(import_graph):
    # The knot is cut: language.py needs no function-level import of these.
    imports = import_graph.build_graph()["treadle.language"]
    for needed in ("treadle.scoring", "treadle.pipeline.factories", "treadle.config"):
        assert any(m == needed or m.startswith(needed) for m in imports), needed


def test_components_do_not_import_language(import_graph):
    graph = import_graph.build_graph()
    offenders = [
        m for m, targets in graph.items()
        if m.startswith("treadle.pipeline") and "treadle.language" in targets
    ]
    assert offenders == []


def test_no_layering_violation(import_graph):
    assert import_graph.layering_violations(import_graph.build_graph()) == []


def test_the_checks_catch_a_cycle_and_a_violation(import_graph):
    graph = {
        "treadle.language": {"treadle.pipeline.tagger"},
        "treadle.pipeline.tagger": {"treadle.language"},
        "treadle.tokens.doc": {"treadle.ml.model"},
    }
    assert import_graph.cycles(graph) == [["treadle.language", "treadle.pipeline.tagger"]]
    violations = import_graph.layering_violations(graph)
    assert any("treadle.tokens.doc imports treadle.ml.model" in v for v in violations)
    assert any("treadle.pipeline.tagger imports treadle.language" in v for v in violations)


def test_function_level_imports_only_where_lazy_on_purpose():
    # Inside functions, only the CLI imports (so `treadle --help` does not load torch),
    # optional extras imported when first used, and treadle/distributed/, whose entry
    # points run in spawned processes and Ray actors and import there what they run.
    root = SCRIPT.parent.parent / "treadle"
    lazy_ok = ("transformers", "ray", "mlflow", "pyarrow")
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    name = inner.module or ""
                elif isinstance(inner, ast.Import):
                    name = inner.names[0].name
                else:
                    continue
                if rel.startswith(("treadle/cli/", "treadle/distributed/")) or name.split(".")[0] in lazy_ok:
                    continue
                found.append(f"{rel}:{inner.lineno} {name}")
    assert found == []
