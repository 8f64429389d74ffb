"""One generic plugin registry, shared by attribution methods and metrics, and the option-spec syntax.

Registration is a class decorator; third-party packages add plugins through an entry-point
group that is loaded on first lookup. Duplicate names are refused, the base class is checked,
and an unknown name is answered with the known ones and a "did you mean". A plugin module
(built-in or from an entry point) that fails to import is reported and disabled; the rest load.

A plugin is asked for by a **spec**: its name, optionally followed by options,
``gradcam@layer=layer3`` or ``input_energy@scale=power,grid=7x7``. The options are the plugin
class's keyword-only ``__init__`` arguments: each value is parsed by the argument's annotation
(int, float, str, bool, a tuple of them written ``1+2``, or ``none`` for an optional one), and an
unknown key is refused with the known ones. A ``+`` in the value of any other option asks for each
value in turn (:meth:`Registry.grid`): ``model_randomisation@upto=fc+layer4,seed=0+1`` is four
specs. In a comma-separated list of specs a part that holds
``=`` but no ``@`` continues the options of the spec before it: ``--methods
gradcam@layer=layer3,cam`` is two specs, ``input_energy@scale=power,grid=7x7,cam`` also two.
An **alias** names a spec (``formant_band_lift_f1`` = ``formant_band_lift@formants=1``), so
stored rows and docs keep working when variants become options.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import inspect
import itertools
import sys
import types
import typing
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable, Generic, Iterable, TypeVar

from .errors import ConfigError, SpecXAIError, UnknownNameError

T = TypeVar("T")


class PluginError(SpecXAIError):
    """A plugin that cannot be registered or loaded."""


@dataclass(frozen=True)
class Option:
    """One keyword option of a plugin: its name, the type its value is parsed to, and its default."""

    name: str
    annotation: Any
    default: Any

    def parse(self, text: str, owner: str) -> Any:
        try:
            return _parse_value(text, self.annotation)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{owner}: option {self.name}={text!r}: {exc}") from None


def _parse_value(text: str, annotation: Any) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.lower() == "none" and type(None) in args:
            return None
        last: Exception | None = None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _parse_value(text, arg)
            except (TypeError, ValueError) as exc:
                last = exc
        raise ValueError(str(last))
    if origin is tuple:
        item = args[0] if args else str
        return tuple(_parse_value(part, item) for part in text.split("+") if part != "")
    if annotation is bool:
        low = text.lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise ValueError("expected true or false")
    if annotation is int:
        return int(text)
    if annotation is float:
        return float(text)
    if annotation in (str, Any, inspect.Parameter.empty):
        return text
    raise TypeError(f"options of type {annotation!r} cannot be given in a spec")


def _is_number(text: str, annotation: Any) -> bool:
    """Whether ``text`` as a whole is a number of ``annotation`` (``1e+3`` is one float, not a choice of two)."""
    try:
        return isinstance(_parse_value(text, annotation), (int, float)) and annotation not in (str, Any)
    except (TypeError, ValueError):
        return False


def format_value(value: Any) -> str:
    """The spec text of an option value (inverse of parsing)."""
    if isinstance(value, tuple):
        return "+".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Spec:
    """A parsed spec: the plugin name (or alias) and its options as given (text values, in order)."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.name + ("@" + ",".join(f"{k}={v}" for k, v in self.options) if self.options else "")


def parse_spec(text: str) -> Spec:
    """``name@k=v,k2=v2`` -> Spec; a bad shape is a ConfigError naming the spec."""
    name, sep, rest = text.strip().partition("@")
    if not name or (sep and not rest):
        raise ConfigError(f"bad spec {text!r}: write NAME or NAME@KEY=VALUE[,KEY=VALUE...]")
    options: list[tuple[str, str]] = []
    for part in rest.split(",") if rest else []:
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"bad option {part!r} in spec {text!r}: write KEY=VALUE")
        if any(k == key.strip() for k, _ in options):
            raise ConfigError(f"option {key.strip()!r} given twice in spec {text!r}")
        options.append((key.strip(), value.strip()))
    return Spec(name.strip(), tuple(options))


def split_specs(text: str | Iterable[str]) -> list[str]:
    """A comma-separated list of specs (or an iterable of such lists) -> one string per spec.

    A part holding ``=`` but no ``@`` continues the options of the spec before it.
    """
    chunks = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for chunk in chunks:
        for part in (p.strip() for p in chunk.split(",")):
            if not part:
                continue
            if "=" in part and "@" not in part:
                if not out or "@" not in out[-1]:
                    raise ConfigError(f"option {part!r} follows no NAME@...: write NAME@{part}")
                out[-1] += "," + part
            else:
                out.append(part)
    return out


class Registry(Generic[T]):
    """Name -> plugin class, for classes derived from ``base``; aliases name specs."""

    def __init__(self, kind: str, base: type, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.base = base
        self.entry_point_group = entry_point_group
        self._items: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}
        self._entry_points_loaded = entry_point_group is None
        self._builtins_loader: Callable[[], None] | None = None
        self.broken: dict[str, str] = {}  # plugin source that failed to load -> why (it is disabled)

    def set_builtins_loader(self, loader: Callable[[], None]) -> None:
        """Import the modules that register the built-in plugins lazily, on first lookup."""
        self._builtins_loader = loader

    def import_modules(self, package: str, modules: Iterable[str]) -> None:
        """Import each plugin module of ``package`` (they register on import); one that fails is
        reported and disabled, and the others still load (e.g. an optional library that is broken)."""
        for module in modules:
            try:
                importlib.import_module(f"{package}.{module}")
            except Exception as exc:
                self._disable(f"built-in module {package}.{module}", exc)

    def _disable(self, source: str, exc: BaseException) -> None:
        why = f"{type(exc).__name__}: {exc}"
        self.broken[source] = why
        print(f"specxai-bench: warning: {self.kind} plugin {source} failed to load ({why}); its "
              f"{self.kind}s are disabled, the others still run. Fix or uninstall it.", file=sys.stderr, flush=True)

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
            if "@" in key or "," in key or "=" in key:
                raise PluginError(f"{self.kind} name {key!r} may not contain '@', ',' or '='")
            existing = self._items.get(key)
            if (existing is not None and existing is not cls) or key in self._aliases:
                owner = f"{existing.__module__}.{existing.__qualname__}" if existing else "an alias"
                raise PluginError(f"{self.kind} name {key!r} is already registered by {owner}; pick another name")
            cls.name = key  # type: ignore[attr-defined]
            self._items[key] = cls
            return cls

        return decorator

    def alias(self, name: str, spec: str) -> None:
        """``name`` stands for ``spec`` (a registered name with options)."""
        if name in self._items or self._aliases.get(name, spec) != spec:
            raise PluginError(f"{self.kind} alias {name!r} is already taken")
        self._aliases[name] = spec

    def _load(self) -> None:
        if self._builtins_loader is not None:
            loader, self._builtins_loader = self._builtins_loader, None
            loader()
        if not self._entry_points_loaded:
            self._entry_points_loaded = True
            for ep in metadata.entry_points(group=self.entry_point_group):
                try:  # a broken third-party package is reported and disabled; it must not hide the rest
                    obj = ep.load()
                    if isinstance(obj, type) and obj not in self._items.values():
                        self.register(getattr(obj, "name", None) or ep.name)(obj)
                except Exception as exc:
                    self._disable(f"entry point {ep.name!r} ({ep.value})", exc)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def registered(self) -> list[str]:
        """Names in registration order (the order a plugin file declares them in)."""
        self._load()
        return list(self._items)

    def aliases(self) -> dict[str, str]:
        self._load()
        return dict(sorted(self._aliases.items()))

    def get(self, name: str) -> type[T]:
        """The class registered as ``name`` (an alias gives its target's class)."""
        self._load()
        name = parse_spec(self._aliases.get(name, name)).name if name in self._aliases else name
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        known = self.names()
        close = difflib.get_close_matches(name, known + list(self._aliases), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        broken = "".join(f" Not loaded: {self.kind} plugin {src} failed to load ({why}); fix or uninstall it."
                         for src, why in self.broken.items())
        return f"unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {', '.join(known)}.{broken}"

    def list(self, pattern: str = "*", exclude: Iterable[str] = ()) -> list[str]:
        """Names matching a shell-style wildcard, minus those matching any ``exclude`` pattern."""
        out = [n for n in self.names() if fnmatch.fnmatchcase(n, pattern)]
        return [n for n in out if not any(fnmatch.fnmatchcase(n, e) for e in exclude)]

    # ---- options and specs ----

    def options(self, name: str) -> dict[str, Option]:
        """The keyword-only ``__init__`` arguments of ``name``'s class: what a spec may set."""
        cls = self.get(name)
        hints = typing.get_type_hints(cls.__init__)
        out = {}
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                out[p.name] = Option(p.name, hints.get(p.name, p.annotation), p.default)
        return out

    def expand(self, spec: str | Spec) -> Spec:
        """An alias replaced by its spec (options given with an alias are added to, or override, its own)."""
        spec = parse_spec(spec) if isinstance(spec, str) else spec
        self._load()
        if spec.name not in self._aliases:
            return spec
        target = parse_spec(self._aliases[spec.name])
        given = dict(spec.options)
        merged = [(k, given.pop(k, v)) for k, v in target.options] + list(given.items())
        return Spec(target.name, tuple(merged))

    def spec_options(self, spec: str | Spec) -> tuple[str, dict[str, Any]]:
        """(name, parsed keyword options) of a spec; unknown names and keys, bad values: errors naming them."""
        spec = self.expand(spec)
        known = self.options(spec.name)
        out = {}
        for key, text in spec.options:
            if key not in known:
                listed = ", ".join(known) or "none"
                raise ConfigError(f"{self.kind} {spec.name!r} has no option {key!r}; its options: {listed}")
            out[key] = known[key].parse(text, f"{self.kind} {spec}")
        return spec.name, out

    def create(self, spec: str | Spec, *args: Any) -> T:
        """An instance from a spec: ``create("gradcam@layer=layer3", model)``.

        A value the plugin itself refuses (``ValueError``) becomes a ConfigError naming the spec.
        """
        name, kwargs = self.spec_options(spec)
        try:
            return self.get(name)(*args, **kwargs)
        except ConfigError:
            raise
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{self.kind} {spec}: {exc}") from None

    def grid(self, spec: Spec) -> list[Spec]:
        """A spec whose options other than tuples list several values with ``+`` (``upto=fc+layer4``): one spec
        per combination, in order (the last option varies fastest); any other spec: itself."""
        known = self.options(self.expand(spec).name) if spec.name in self._known_names() else {}
        choices = []
        for key, text in spec.options:
            opt = known.get(key)
            args = typing.get_args(opt.annotation) if opt is not None else ()
            is_tuple = opt is not None and (typing.get_origin(opt.annotation) is tuple
                                            or any(typing.get_origin(a) is tuple for a in args))
            several = "+" in text and opt is not None and not is_tuple and not _is_number(text, opt.annotation)
            choices.append([(key, v) for v in text.split("+")] if several else [(key, text)])
        return [Spec(spec.name, combo) for combo in itertools.product(*choices)]

    def resolve(self, spec: str | Iterable[str]) -> list[str]:
        """Comma-separated specs, names or wildcards (``all`` = every one) -> checked specs, in order.

        Every unknown name is reported at once, before any work starts; option keys and values
        are checked too (values the plugin itself refuses are found when it is created).
        """
        out: list[str] = []
        bad: list[str] = []
        for part in split_specs(spec):
            parsed = parse_spec(part)
            if parsed.options or part in self._known_names():
                if parsed.name not in self._known_names():
                    bad.append(parsed.name)
                    continue
                matched = [str(s) for s in self.grid(parsed)]
                for s in matched:
                    self.spec_options(s)
            elif part == "all":
                matched = self.names()
            elif any(ch in part for ch in "*?["):
                matched = self.list(part)
                if not matched:
                    bad.append(part)
            else:
                matched = []
                bad.append(part)
            out.extend(m for m in matched if m not in out)
        if bad:
            raise UnknownNameError("; ".join(self.unknown_message(b) for b in bad))
        if not out:
            raise UnknownNameError(f"no {self.kind} given; known: {', '.join(self.names())}")
        return out

    def _known_names(self) -> set[str]:
        self._load()
        return set(self._items) | set(self._aliases)

    def __contains__(self, name: str) -> bool:
        return name in self._known_names()
