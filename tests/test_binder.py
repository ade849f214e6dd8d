"""binder/ (what repo2docker builds a reader's image from): lean, pinned like the book, and installing the library.

``make binder-twin`` builds it and runs every chapter in it; this checks the files: only what a kernel and
JupyterLab need, the same pins as requirements.txt (constraints.txt for what it does not list), a postBuild that
stops on the first error and installs the library at the checkout's version, and the widgets' JupyterLab extension
that ipywidgets requires.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import shlex

import yaml
from packaging.requirements import Requirement

from test_lock import pins
from toc import ROOT

BINDER = ROOT / "binder"
# The book's build and test tools: a reader's image holds none of them (mybinder.org: 2 GB, images ~1.2 GB fail).
BUILD_AND_TEST = ("jupyter-book", "sphinx", "pytest", "playwright", "ruff", "papermill", "myst-parser",
                  "jupyter-cache")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _postbuild_installs() -> list[list[str]]:
    lines = [line for line in (BINDER / "postBuild").read_text().splitlines() if line.strip().startswith("pip ")]
    return [shlex.split(line) for line in lines]


def test_binder_holds_what_repo2docker_reads_and_the_root_none():
    for name in ("requirements.txt", "runtime.txt", "postBuild"):
        assert (BINDER / name).is_file(), f"binder/{name} is missing"
    # repo2docker ignores root files once binder/ exists; root copies would only mislead a reader.
    for name in ("postBuild", "runtime.txt"):
        assert not (ROOT / name).exists(), f"{name} at the root is ignored by repo2docker (binder/ wins): remove it"
    assert re.fullmatch(r"python-3\.11", (BINDER / "runtime.txt").read_text().strip()), \
        "binder/runtime.txt must name the Python the book is verified on (python-3.11)"


def test_postbuild_stops_on_errors_and_installs_the_library_without_dependencies():
    path = BINDER / "postBuild"
    assert os.access(path, os.X_OK), "binder/postBuild must be executable"
    commands = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert commands[0] == "set -euo pipefail", "postBuild's first command must be `set -euo pipefail`"
    installs = _postbuild_installs()
    assert ["pip", "install", "--no-cache-dir", "--no-deps", "."] in installs, \
        "postBuild must install the checkout's library (pip install --no-deps .)"


def test_binder_pins_equal_the_books():
    direct, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "constraints.txt")
    binder = pins(BINDER / "requirements.txt")
    binder |= {_norm(a.split("==")[0]): a.split("==")[1] for args in _postbuild_installs() for a in args if "==" in a}
    assert binder, "binder/ pins nothing"
    for name, version in binder.items():
        # tensorflow-cpu is the CPU-only build of the book's tensorflow: the same version.
        book = direct.get("tensorflow") if name == "tensorflow-cpu" else direct.get(name, locked.get(name))
        assert book == version, f"binder/ pins {name}=={version}, the book {name}=={book} (requirements/constraints)"
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    assert "-c ../constraints.txt" in [line.strip() for line in lines], \
        "binder/requirements.txt must install with the book's constraints (every transitive version locked)"


def test_binder_holds_no_build_or_test_tool_and_the_cpu_tensorflow():
    binder = set(pins(BINDER / "requirements.txt"))
    binder |= {_norm(a.split("==")[0]) for args in _postbuild_installs() for a in args if "==" in a}
    for name in binder:
        for tool in BUILD_AND_TEST:
            assert not name.startswith(tool), f"binder/ installs the build/test tool {name}"
    assert "tensorflow-cpu" in binder and "tensorflow" not in binder, "Binder takes tensorflow-cpu (0.6 GB smaller)"
    for args in _postbuild_installs():
        # these ask for `tensorflow` (or Sphinx, for myst-nb): with their dependencies the image doubles
        if any(a.startswith(("neural-tangents", "tf2jax", "myst-nb")) for a in args):
            assert "--no-deps" in args, f"postBuild must install {args[-1]} with --no-deps"


def test_the_chapters_imports_are_in_binder():
    binder = set(pins(BINDER / "requirements.txt"))
    binder |= {_norm(a.split("==")[0]) for args in _postbuild_installs() for a in args if "==" in a}
    for name in ("jax", "jaxlib", "neural-tangents", "tf2jax", "numpy", "scipy", "scikit-learn", "plotly",
                 "ipywidgets", "ipykernel", "jupyterlab", "myst-nb"):
        assert name in binder, f"binder/ does not install {name}, which the chapters or the reader's JupyterLab need"


def test_the_widgets_front_end_is_the_one_ipywidgets_requires():
    binder = pins(BINDER / "requirements.txt")
    ipywidgets = pins(ROOT / "requirements.txt")["ipywidgets"]
    assert binder["ipywidgets"] == ipywidgets
    # ipywidgets' own metadata (the book's .venv holds the same pinned version) names its JupyterLab extension.
    assert importlib.metadata.version("ipywidgets") == ipywidgets, "the .venv's ipywidgets differs from the pin"
    requires = [Requirement(r) for r in importlib.metadata.requires("ipywidgets") if "extra ==" not in r]
    front_end = next(r for r in requires if _norm(r.name) == "jupyterlab-widgets")
    assert "jupyterlab-widgets" in binder, "binder/ must pin jupyterlab_widgets (the widgets' JupyterLab extension)"
    assert front_end.specifier.contains(binder["jupyterlab-widgets"]), \
        f"ipywidgets {ipywidgets} needs jupyterlab_widgets{front_end.specifier}, binder/ pins " \
        f"{binder['jupyterlab-widgets']}"


def test_launch_buttons_open_jupyterlab():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["notebook_interface"] == "jupyterlab"


def test_the_local_path_has_jupyterlab_and_the_widgets_extension():
    """The README's local path (`make venv`, then `.venv/bin/jupyter lab book/`): JupyterLab is in the environment
    this test runs in, and its widgets extension is enabled (make front-end-check drives it in chromium)."""
    import subprocess
    import sys
    from pathlib import Path

    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "jupyter-lab").exists(), f"{bin_dir}/jupyter-lab is missing: pin jupyterlab in requirements.txt"
    listing = subprocess.run([str(bin_dir / "jupyter"), "labextension", "list"], capture_output=True, text=True,
                             timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ enabled\s+OK", text), \
        f"JupyterLab's widgets extension is not enabled:\n{text}"
