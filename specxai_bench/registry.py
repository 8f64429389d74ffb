"""One generic plugin registry, shared by attribution methods, metrics and tasks.

Registration is a class decorator; third-party packages add plugins through an entry-point
group that is loaded on first lookup. Duplicate names are refused, the base class is checked,
and an unknown name is answered with the known ones and a "did you mean".
"""

from __future__ import annotations

import difflib
import fnmatch
from importlib import metadata
from typing import Callable, Generic, Iterable, TypeVar

from .errors import SpecXAIError, UnknownNameError

T = TypeVar("T")


class PluginError(SpecXAIError):
    """A plugin that cannot be registered or loaded."""


class Registry(Generic[T]):
    """Name -> plugin class, for classes derived from ``base``."""

    def __init__(self, kind: str, base: type, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.base = base
        self.entry_point_group = entry_point_group
        self._items: dict[str, type[T]] = {}
        self._entry_points_loaded = entry_point_group is None
        self._builtins_loader: Callable[[], None] | None = None

    def set_builtins_loader(self, loader: Callable[[], None]) -> None:
        """Import the modules that register the built-in plugins lazily, on first lookup."""
        self._builtins_loader = loader

    def register(self, name: str | None = None) -> Callable[[type[T]], type[T]]:
        """Class decorator: ``@METHODS.register()`` uses the class attribute ``name``."""

        def decorator(cls: type[T]) -> type[T]:
            key = name or getattr(cls, "name", None)
            if not key:
                raise PluginError(f"{cls.__qualname__} has no name; set `name = ...` on the class")
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise PluginError(
                    f"{self.kind} plugin {key!r} ({cls!r}) must subclass {self.base.__name__}"
                )
            existing = self._items.get(key)
            if existing is not None and existing is not cls:
                raise PluginError(
                    f"{self.kind} name {key!r} is already registered by "
                    f"{existing.__module__}.{existing.__qualname__}; pick another name"
                )
            cls.name = key  # type: ignore[attr-defined]
            self._items[key] = cls
            return cls

        return decorator

    def _load(self) -> None:
        if self._builtins_loader is not None:
            loader, self._builtins_loader = self._builtins_loader, None
            loader()
        if not self._entry_points_loaded:
            self._entry_points_loaded = True
            for ep in metadata.entry_points(group=self.entry_point_group):
                try:
                    obj = ep.load()
                except Exception as exc:  # a broken third-party package must not hide the rest
                    raise PluginError(
                        f"{self.kind} plugin entry point {ep.name!r} ({ep.value}) failed to load: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                if isinstance(obj, type) and obj not in self._items.values():
                    self.register(getattr(obj, "name", None) or ep.name)(obj)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def get(self, name: str) -> type[T]:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        known = self.names()
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {', '.join(known)}"

    def list(self, pattern: str = "*", exclude: Iterable[str] = ()) -> list[str]:
        """Names matching a shell-style wildcard, minus those matching any ``exclude`` pattern."""
        out = [n for n in self.names() if fnmatch.fnmatchcase(n, pattern)]
        return [n for n in out if not any(fnmatch.fnmatchcase(n, e) for e in exclude)]

    def resolve(self, spec: str | Iterable[str]) -> list[str]:
        """Comma-separated names or wildcards (``all`` = every one) -> checked names, in order.

        Every unknown name is reported at once, before any work starts.
        """
        parts = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else spec)]
        parts = [p for p in parts if p]
        out: list[str] = []
        bad: list[str] = []
        for part in parts:
            if part == "all":
                matched = self.names()
            elif any(ch in part for ch in "*?["):
                matched = self.list(part)
                if not matched:
                    bad.append(part)
            else:
                matched = [part] if part in self.names() else []
                if not matched:
                    bad.append(part)
            out.extend(m for m in matched if m not in out)
        if bad:
            raise UnknownNameError("; ".join(self.unknown_message(b) for b in bad))
        if not out:
            raise UnknownNameError(f"no {self.kind} given; known: {', '.join(self.names())}")
        return out

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._items
