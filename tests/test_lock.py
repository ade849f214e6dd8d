"""constraints.txt (every package of the verified environment, tools/lock.py) agrees with requirements.txt."""
from __future__ import annotations

import re

from toc import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def pins(path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            out[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return out


def test_every_direct_pin_is_locked_at_the_same_version():
    direct, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "constraints.txt")
    assert direct, "requirements.txt pins nothing"
    mismatched = {name: (version, locked.get(name)) for name, version in direct.items() if locked.get(name) != version}
    assert not mismatched, f"requirements.txt and constraints.txt disagree (run `make lock`): {mismatched}"


def test_the_lock_freezes_the_transitive_dependencies():
    locked = pins(ROOT / "constraints.txt")
    # the ones that floated on every fresh install before the lock existed
    for name in ("sphinx", "docutils", "jupyter-cache", "ml-dtypes"):
        assert name in locked, f"constraints.txt does not lock {name}"
    assert "kernel-ssl" not in locked, "the book's own library must not be locked (it is installed editable)"
