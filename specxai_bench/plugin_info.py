"""Plugin metadata without importing the plugins: what `specxai-bench list` shows.

`list` and `--help` must answer in well under a second, and importing a method module imports
torch, captum and zennit (seconds, most of a gigabyte). So the built-in plugin modules are *read*,
not imported (as lm-eval indexes its tasks without loading them): every class decorated with
``@METHODS.register()`` (or ``METRICS``) in the package, its literal class attributes (own and
inherited, in method-resolution order) and the keyword-only options of its ``__init__`` with their
defaults. Nothing is kept by hand: tests/test_plugin_info.py checks that this equals what the
imported classes say. Entry-point plugins are third-party code: they are imported, and only when
their kind is listed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

# kind -> (package of the built-in plugins, name of its registry there); the package name is also
# the entry-point group third-party plugins register under
BUILTINS = {"method": ("specxai_bench.methods", "METHODS"), "metric": ("specxai_bench.metrics", "METRICS")}
REQUIRED = "<required>"  # an option without a default


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin: its name, where it lives, its class attributes and its options."""

    name: str
    source: str  # "module:Class"
    attributes: dict[str, Any]
    options: dict[str, Any]  # keyword-only __init__ option -> default (REQUIRED when it has none)
    hooks: frozenset[str] = field(default_factory=frozenset)  # methods the plugin defines beyond its base class

    def get(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)


@dataclass
class _Class:
    module: str
    name: str
    bases: list[tuple[str, str]]  # in-package bases as (module, class); others are left out
    attributes: dict[str, Any]
    functions: set[str]
    init_options: dict[str, Any] | None  # None: no __init__ of its own
    registered_as: str | None  # the name given to register(...), "" for register() with none


def _imports(tree: ast.Module, module: str) -> dict[str, tuple[str, str]]:
    """Local name -> (module, name) for the module's ``from X import Y`` statements."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = module.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            src = ".".join(p for p in ((base if node.level else ""), node.module or "") if p)
            for alias in node.names:
                out[alias.asname or alias.name] = (src, alias.name)
    return out


def _literal(node: ast.AST | None) -> tuple[bool, Any]:
    if node is None:
        return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


@lru_cache(maxsize=None)
def _module_tree(module: str) -> ast.Module | None:
    """The parsed source of a module of this package (None for a module outside it)."""
    parts = module.split(".")
    if parts[0] != __name__.split(".")[0]:
        return None
    path = Path(__file__).parent.joinpath(*parts[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(path.read_text(encoding="utf-8"), str(path)) if path.is_file() else None


def _evaluate(node: ast.AST, module: str, depth: int = 0) -> tuple[bool, Any]:
    """(found, value) of a literal or a module-level constant (``POOLED_LAYER = STAGES[-1]``), followed
    through this package's modules; (False, None) for anything else."""
    ok, value = _literal(node)
    if ok or depth > 8:
        return ok, value
    if isinstance(node, ast.Subscript):
        (ok_seq, seq), (ok_index, index) = _evaluate(node.value, module, depth + 1), _evaluate(node.slice, module,
                                                                                               depth + 1)
        try:
            return (True, seq[index]) if ok_seq and ok_index else (False, None)
        except (IndexError, KeyError, TypeError):
            return False, None
    tree = _module_tree(module) if isinstance(node, ast.Name) else None
    if tree is not None:
        for stmt in tree.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == node.id):
                return _evaluate(stmt.value, module, depth + 1)
            if (isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name)
                    and stmt.target.id == node.id):
                return _evaluate(stmt.value, module, depth + 1)
        source = _imports(tree, module).get(node.id)
        if source is not None:
            return _evaluate(ast.Name(source[1]), source[0], depth + 1)
    return False, None


def _default(node: ast.AST | None, module: str) -> Any:
    """An option's default: its value, or its source text where it cannot be read statically."""
    if node is None:
        return REQUIRED
    ok, value = _evaluate(node, module)
    return value if ok else ast.unparse(node)


def _registration(cls: ast.ClassDef, registry: str) -> str | None:
    for dec in cls.decorator_list:
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "register"
                and isinstance(dec.func.value, ast.Name) and dec.func.value.id == registry):
            ok, value = _literal(dec.args[0]) if dec.args else (True, "")
            return value if ok and isinstance(value, str) else ""
    return None


def _read_class(node: ast.ClassDef, module: str, local: dict[str, str], imported: dict[str, tuple[str, str]],
                registry: str) -> _Class:
    bases = []
    for b in node.bases:
        if isinstance(b, ast.Name):
            bases.append((module, b.id) if b.id in local else imported.get(b.id, ("", b.id)))
    attributes: dict[str, Any] = {}
    functions: set[str] = set()
    init: dict[str, Any] | None = None
    for stmt in node.body:
        target, value = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, value = stmt.target.id, stmt.value
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.add(stmt.name)
            if stmt.name == "__init__":
                a = stmt.args
                init = {arg.arg: _default(d, module) for arg, d in zip(a.kwonlyargs, a.kw_defaults)}
        if target is not None and value is not None and not target.startswith("_"):
            ok, lit = _evaluate(value, module)
            if ok:
                attributes[target] = lit
    return _Class(module, node.name, bases, attributes, functions, init, _registration(node, registry))


@lru_cache(maxsize=None)
def _package_classes(package: str, registry: str) -> dict[tuple[str, str], _Class]:
    """Every top-level class in the package's modules, read with ast (the package is not imported)."""
    folder = Path(__file__).parent.joinpath(*package.split(".")[1:])
    out = {}
    for path in sorted(folder.glob("*.py")):
        module = package if path.stem == "__init__" else f"{package}.{path.stem}"
        tree = _module_tree(module)
        local = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        imported = _imports(tree, module)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                out[(module, node.name)] = _read_class(node, module, local, imported, registry)
    return out


def _mro(key: tuple[str, str], classes: dict[tuple[str, str], _Class]) -> list[tuple[str, str]]:
    """C3 linearisation over the in-package classes (what Python's own MRO gives for them)."""
    bases = [b for b in classes[key].bases if b in classes]
    seqs = [_mro(b, classes) for b in bases] + [bases]
    out = [key]
    while any(seqs):
        for seq in (s for s in seqs if s):
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:
            raise TypeError(f"inconsistent class hierarchy for {key[1]}")
        out.append(head)
        seqs = [s[1:] if s and s[0] == head else s for s in seqs]
    return out


def builtin_plugins(kind: str) -> list[PluginInfo]:
    """The built-in plugins of ``kind`` ("method" or "metric"), read from their source, sorted by name."""
    package, registry = BUILTINS[kind]
    classes = _package_classes(package, registry)
    base_module = f"{package}.base"
    out = []
    for key, cls in classes.items():
        if cls.registered_as is None:
            continue
        mro = _mro(key, classes)
        attributes: dict[str, Any] = {}
        for k in reversed(mro):
            attributes.update(classes[k].attributes)
        name = cls.registered_as or attributes.get("name")
        if not name:
            continue
        attributes["name"] = name
        options = next((classes[k].init_options for k in mro if classes[k].init_options is not None), {})
        hooks = frozenset(f for k in mro if k[0] != base_module for f in classes[k].functions)
        out.append(PluginInfo(name, f"{key[0]}:{key[1]}", attributes, dict(options), hooks))
    return sorted(out, key=lambda p: p.name)


def class_info(cls: type, options: dict[str, Any], base_module: str) -> PluginInfo:
    """The same record from an imported class (entry-point plugins; the tests compare both ways)."""
    attributes = {}
    for k in dir(cls):
        v = getattr(cls, k)
        if not k.startswith("_") and (v is None or isinstance(v, (str, int, float, bool, tuple))):
            attributes[k] = v
    own = [klass for klass in cls.__mro__ if klass is not object and klass.__module__ != base_module]
    hooks = frozenset(f for klass in own for f, v in vars(klass).items()
                      if inspect.isfunction(v) or isinstance(v, (staticmethod, classmethod, property)))
    return PluginInfo(cls.name, f"{cls.__module__}:{cls.__qualname__}", attributes, options, hooks)


def entry_point_plugins(kind: str) -> list[PluginInfo]:
    """Plugins installed by other distributions under the entry-point group: imported (only) here."""
    package, registry_name = BUILTINS[kind]
    if not metadata.entry_points(group=package):
        return []
    registry = getattr(importlib.import_module(package), registry_name)
    builtin = {p.name for p in builtin_plugins(kind)}
    out = []
    for name in registry.names():
        cls = registry.get(name)
        if name in builtin and cls.__module__.startswith(package):
            continue
        options = {k: (REQUIRED if o.default is inspect.Parameter.empty else o.default) for k, o in registry.options(name).items()}
        out.append(class_info(cls, options, f"{package}.base"))
    return out


def plugins(kind: str) -> list[PluginInfo]:
    """Built-in plugins (read, not imported) and entry-point plugins (imported), sorted by name."""
    return sorted(builtin_plugins(kind) + entry_point_plugins(kind), key=lambda p: p.name)


def constant(module: str, name: str) -> Any:
    """A module-level constant of this package read from its source (no import), e.g. the task kinds."""
    ok, value = _evaluate(ast.Name(name), module)
    if not ok:
        raise ValueError(f"{module}.{name} is not a constant that can be read from the source")
    return value
