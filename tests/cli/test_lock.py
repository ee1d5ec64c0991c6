"""requirements/test.lock against pyproject.toml: every direct dependency of the
package, of its `test` extra and of its build is pinned in the lock, at a version
within pyproject's range, with the hashes `pip install --require-hashes` needs
(tests/run.sh installs from the lock). A dependency added on a branch without
`bash requirements/lock.sh` fails here, not on CI's next fresh install.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "test.lock"
REFRESH = "bash requirements/lock.sh"
# The lock is resolved for this interpreter and platform (requirements/lock.sh).
LOCKED_FOR = {
    **default_environment(),
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def locked_pins(lock_text: str) -> dict[str, tuple[Version, int]]:
    """Each pinned name (canonical) with its version and how many hashes follow it."""
    pins: dict[str, tuple[Version, int]] = {}
    current = ""
    for line in lock_text.splitlines():
        pin = _PIN.match(line)
        if pin:
            current = canonicalize_name(pin[1])
            pins[current] = (Version(pin[2]), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith((" ", "#")):
            current = ""
    return pins


def direct_requirements(pyproject: dict[str, object]) -> list[Requirement]:
    project = pyproject["project"]
    build = pyproject["build-system"]
    assert isinstance(project, dict) and isinstance(build, dict)
    texts = [
        *project["dependencies"],
        *project["optional-dependencies"]["test"],
        *build["requires"],
    ]
    found = [Requirement(text) for text in texts]
    return [r for r in found if r.marker is None or r.marker.evaluate(LOCKED_FOR)]


def extra_requirements(req: Requirement) -> list[Requirement]:
    """What `req`'s extras (`uvicorn[standard]`) add, read from the installed
    distribution's metadata."""
    added = []
    for text in metadata.requires(req.name) or []:
        sub = Requirement(text)
        if (
            sub.marker is not None
            and any(sub.marker.evaluate({**LOCKED_FOR, "extra": extra}) for extra in req.extras)
            and not sub.marker.evaluate({**LOCKED_FOR, "extra": ""})
        ):
            added.append(sub)
    return added


def disagreements(pyproject: dict[str, object], lock_text: str) -> list[str]:
    """What the lock lacks or pins outside pyproject's range; [] when they agree."""
    pins = locked_pins(lock_text)
    problems = []
    for req in direct_requirements(pyproject):
        wanted = [req, *extra_requirements(req)] if req.extras else [req]
        for each in wanted:
            name = canonicalize_name(each.name)
            wanted_range = f"{name}{each.specifier}"
            if name not in pins:
                problems.append(f"{wanted_range} is not in the lock")
                continue
            version, hashes = pins[name]
            if not each.specifier.contains(version, prereleases=True):
                problems.append(f"{wanted_range}: the lock pins {version}")
            if hashes == 0:
                problems.append(f"{name}=={version} has no --hash")
    return problems


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_the_lock_pins_every_direct_dependency_within_its_range() -> None:
    problems = disagreements(_pyproject(), LOCK.read_text())
    assert not problems, f"pyproject.toml and the lock disagree (run `{REFRESH}`): {problems}"


def test_the_lock_says_how_to_refresh_it() -> None:
    assert REFRESH in LOCK.read_text().splitlines()[1]


def test_a_dependency_the_lock_lacks_or_pins_outside_its_range_is_named() -> None:
    pyproject = _pyproject()
    project = pyproject["project"]
    assert isinstance(project, dict)
    project["dependencies"] = [*project["dependencies"], "filelock>=3"]
    project["optional-dependencies"]["test"] = [
        "pytest>=999" if t.startswith("pytest>") else t
        for t in project["optional-dependencies"]["test"]
    ]
    problems = disagreements(pyproject, LOCK.read_text())
    assert problems[0] == "filelock>=3 is not in the lock"
    assert re.fullmatch(r"pytest>=999: the lock pins \S+", problems[1])
    assert len(problems) == 2


def test_an_extras_dependency_and_a_missing_hash_are_named() -> None:
    lock = LOCK.read_text()
    without_uvloop = re.sub(r"(?ms)^uvloop==.*?(?=^\S)", "", lock)
    assert "uvloop>=0.15.1 is not in the lock" in " ".join(
        disagreements(_pyproject(), without_uvloop)
    )
    unhashed = re.sub(r"(?m)^(redis==\S+) \\\n(    --hash=\S+( \\)?\n)+", r"\1\n", lock)
    assert any(
        p.startswith("redis==") and p.endswith("has no --hash")
        for p in disagreements(_pyproject(), unhashed)
    )
