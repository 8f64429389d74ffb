"""pyproject.toml states ranges, constraints.txt the exact versions the suite runs with: every pin lies in
its range, the heavy ones are the ones installed, and scipy's range admits only versions with `rng=`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements() -> list[Requirement]:
    p = project()
    return [Requirement(r) for r in p["dependencies"] + [r for rs in p["optional-dependencies"].values() for r in rs]]


def pins() -> dict[str, Version]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            out[canonicalize_name(req.name)] = Version(spec.version)
    return out


def test_dependencies_are_ranges_not_pins() -> None:
    for req in map(Requirement, project()["dependencies"]):
        assert req.specifier, f"{req.name}: give a lower bound"
        assert all(s.operator not in ("==", "===", "~=") for s in req.specifier), f"{req}: a pin, not a range"


def test_every_pin_lies_in_its_range() -> None:
    pinned = pins()
    for req in requirements():
        name = canonicalize_name(req.name)
        if name == "pyinstrument":  # the optional profiler (bench extra) is not installed for the suite
            continue
        assert name in pinned, f"{req.name} has no pin in constraints.txt (run python .ci/constraints.py)"
        assert req.specifier.contains(pinned[name], prereleases=True), f"{req.name}=={pinned[name]} outside {req}"
    assert pinned["torch"] == Version("2.14.1") and pinned["torchvision"] == Version("0.29.1")


def test_scipy_range_has_bootstrap_rng() -> None:
    scipy = next(r for r in requirements() if r.name == "scipy")
    assert not scipy.specifier.contains("1.14.1") and scipy.specifier.contains("1.15.0")
    import inspect

    import scipy.stats

    assert "rng" in inspect.signature(scipy.stats.bootstrap).parameters
