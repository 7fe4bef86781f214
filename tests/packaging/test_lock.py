"""The lock (constraints.txt) agrees with setup.cfg, and this environment was installed from it.

scripts/test and scripts/run install with ``--constraint constraints.txt``; scripts/lock
refreshes it. A range in setup.cfg that the lock does not satisfy, a requirement missing from
the lock, or a package installed at another version than the lock's fails here.
"""

from __future__ import annotations

import configparser
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TOOLS = ("pip", "setuptools", "wheel", "uv")


def locked() -> dict[str, tuple[str, Marker | None]]:
    """name -> (version, marker) of every ``name==version`` line."""
    pins: dict[str, tuple[str, Marker | None]] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(requirement.name)] = (spec.version, requirement.marker)
    return pins


def declared() -> list[tuple[str, Requirement]]:
    """(where, requirement) for install_requires, every extra and the build backend."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    found = [("install_requires", line) for line in config["options"]["install_requires"].strip().splitlines()]
    for extra, lines in config["options.extras_require"].items():
        found += [(f"extra {extra}", line) for line in lines.strip().splitlines()]
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    found += [("build-system", line) for line in build]
    return [(where, Requirement(line)) for where, line in found]


def test_every_declared_requirement_is_locked_at_a_version_it_allows():
    pins = locked()
    wrong = []
    for where, requirement in declared():
        name = canonicalize_name(requirement.name)
        if name not in pins:
            wrong.append(f"{where}: {requirement} is not in constraints.txt")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            wrong.append(f"{where}: {requirement} does not allow the locked {name}=={pins[name][0]}")
    assert not wrong, "setup.cfg and constraints.txt disagree (run scripts/lock):\n" + "\n".join(wrong)


def test_the_install_tools_are_locked_too():
    pins = locked()
    assert all(tool in pins for tool in INSTALL_TOOLS), "scripts/install bootstraps these from the lock"


def test_this_environment_holds_exactly_the_locked_versions():
    different = []
    for name, (version, marker) in locked().items():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            different.append(f"{name}=={version} is not installed")
            continue
        if installed != version:
            different.append(f"{name}: installed {installed}, locked {version}")
    assert not different, "\n".join(different)
