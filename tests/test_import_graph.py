"""The package has no import cycles: the data flows one way (docs/usage.md, "Layout").

Imports are read with the standard library's ``ast`` (module level and inside functions, relative
ones resolved; a registry's ``import_modules(__package__, (...))`` counts as importing each module
named). One kind of edge is excepted, by name: each plugin registry's ``_load_builtins`` imports
the built-in plugin modules so that they register themselves, and those modules import the
registry back (methods/base.py, metrics/base.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import specxai_bench

PACKAGE = Path(specxai_bench.__file__).parent
SELF_REGISTRATION = {"_load_builtins"}  # functions whose imports are the plugin self-registration


def module_name(path: Path) -> str:
    parts = ["specxai_bench", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _targets(node: ast.ImportFrom | ast.Import, here: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = here if is_package else here.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    mod = ".".join(p for p in (base if node.level else "", node.module or "") if p)
    out = [mod]
    out += [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES]
    return out


def _registry_imports(node: ast.AST, here: str) -> list[str]:
    """``REGISTRY.import_modules(__package__, ("a", "b"))`` imports ``<package>.a`` and ``<package>.b``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_modules" and len(node.args) == 2
            and isinstance(node.args[1], (ast.Tuple, ast.List))):
        return []
    package = here.rpartition(".")[0]
    return [f"{package}.{e.value}" for e in node.args[1].elts if isinstance(e, ast.Constant)]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        excepted: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and fn.name in SELF_REGISTRATION:
                excepted |= {id(n) for n in ast.walk(fn)}
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in excepted:
                edges |= {t for t in _targets(node, name, path.name == "__init__.py") if t in MODULES and t != name}
            elif id(node) not in excepted:
                edges |= {t for t in _registry_imports(node, name) if t in MODULES}
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_checker_finds_a_cycle_and_the_self_registration_exception_is_needed():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    SELF_REGISTRATION.clear()
    try:
        found = cycles(import_graph())
    finally:
        SELF_REGISTRATION.add("_load_builtins")
    assert any("specxai_bench.methods.base" in c for c in found)
    assert any("specxai_bench.metrics.base" in c for c in found)
