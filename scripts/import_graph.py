"""The import graph of the treadle package, read from the source with ``ast``.

Only imports that run when a module is imported count: those at module level
(including inside a module-level ``try``/``if``), not those under ``if TYPE_CHECKING:``
and not those inside functions. ``python scripts/import_graph.py`` prints every cycle
and every import that breaks the layering; ``tests/test_import_graph.py`` asserts there
are none.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "treadle"

# What each layer may import at load time (besides the standard library and third-party
# packages), bottom up; see docs/architecture.md. A module may always import from its
# own layer. ``treadle/__init__.py``, ``errors.py`` and ``util.py`` are below everything.
LAYERS: dict[str, set[str]] = {
    "treadle.errors": set(),
    "treadle.util": {"treadle.errors"},
    "treadle.tokens": {"treadle.errors", "treadle.util"},
    "treadle.config": {"treadle.errors", "treadle.util"},
    "treadle.lang": {"treadle.errors", "treadle.util", "treadle.tokens", "treadle.config"},
    "treadle.matcher": {"treadle.errors", "treadle.util", "treadle.tokens"},
    "treadle.scoring": {"treadle.errors", "treadle.util", "treadle.tokens"},
    "treadle.visualize": {"treadle.errors", "treadle.util", "treadle.tokens"},
    "treadle.nlp_config": {"treadle.errors", "treadle.util", "treadle.config"},
    "treadle.ml": {"treadle.errors", "treadle.util", "treadle.tokens", "treadle.config"},
}
LAYERS["treadle.pipeline"] = {
    *LAYERS["treadle.ml"], *LAYERS["treadle.lang"], "treadle.ml", "treadle.matcher",
    "treadle.scoring", "treadle.lang",
}
# The Hugging Face bridge: model-independent glue between Docs and wordpieces, on top
# of the pipeline layer (the transformer component is treadle.pipeline.transformer,
# which imports none of it).
LAYERS["treadle.transformers"] = {*LAYERS["treadle.pipeline"], "treadle.pipeline"}
# Modules that hold part of what Language does, below it: they know it by type only.
for helper in ("treadle.serialization", "treadle.train_step"):
    LAYERS[helper] = {"treadle.errors", "treadle.util"}
LAYERS["treadle.language"] = {
    *LAYERS["treadle.pipeline"], "treadle.pipeline", "treadle.nlp_config",
    "treadle.serialization", "treadle.train_step",
}
LAYERS["treadle.training"] = {*LAYERS["treadle.language"], "treadle.language"}
# Several workers training one pipeline: the training loop plus torch.distributed/Ray.
LAYERS["treadle.distributed"] = {*LAYERS["treadle.training"], "treadle.training"}
# Pipeline packages: a saved folder made into an installable package (no pipeline built).
LAYERS["treadle.packaging"] = {
    "treadle.errors", "treadle.util", "treadle.config", "treadle.serialization",
}
LAYERS["treadle.cli"] = {
    *LAYERS["treadle.distributed"], "treadle.distributed", "treadle.training", "treadle",
    "treadle.visualize",
    "treadle.packaging",
}
LAYERS["treadle.__main__"] = {"treadle.cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _load_time_imports(block)
            for handler in node.handlers:
                yield from _load_time_imports(handler.body)


def _resolve(
    node: ast.Import | ast.ImportFrom, here: str, is_package: bool, modules: set[str]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = here.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    # ``from treadle.pipeline import factories`` needs the submodule, not what the
    # package's __init__ defines; any other name comes from the __init__.
    submodules = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in modules]
    takes_names = len(submodules) < len(node.names)
    return [module, *submodules] if takes_names else submodules


def build_graph() -> dict[str, set[str]]:
    """Module -> the treadle modules it imports at load time."""
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf8"))
        targets: set[str] = set()
        for node in _load_time_imports(tree.body):
            for target in _resolve(node, name, path.name == "__init__.py", set(files)):
                if target in files and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> str | None:
    best = None
    for layer in LAYERS:
        if (module == layer or module.startswith(layer + ".")) and (
            best is None or len(layer) > len(best)
        ):
            best = layer
    return best


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        if layer is None:
            continue
        for target in sorted(targets):
            target_layer = layer_of(target)
            if target_layer in (None, layer) or target == "treadle":
                continue
            if target_layer not in LAYERS[layer]:
                out.append(f"{module} imports {target} ({layer} may not import {target_layer})")
    return out


def main() -> int:
    graph = build_graph()
    problems = [" -> ".join(c) for c in cycles(graph)] + layering_violations(graph)
    for problem in problems:
        print(problem)
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
