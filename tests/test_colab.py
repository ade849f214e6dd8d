"""The chapters' Colab install cell (tools/colab_cell.py): what it installs, how, and at which version.

tests/test_notebook_structure.py checks that every chapter carries the generated cell; this checks the generator:
the cell changes only what the chapters need on top of Colab's runtime (no build or test tools, none of the
packages Colab's kernel runs on), installs with ``%pip`` (Colab's restart prompt), pins every package and the
library at its release tag, and does nothing outside Colab. ``make colab-twin`` runs it in a copy of Colab.
"""
from __future__ import annotations

import importlib.metadata
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from test_lock import pins
from toc import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402

# Build and test tools (the book's, not a reader's), and the packages Colab's kernel itself runs on: the cell must
# install none of them (Colab's notebook 6.5 needs jupyter_client < 8, which ipykernel 7 would replace).
BUILD_AND_TEST = ("jupyter-book", "sphinx", "pytest", "playwright", "ruff", "papermill", "nbclient", "myst-parser",
                  "jupyter-cache")
COLAB_KEEPS = ("tensorflow", "numpy", "ipykernel", "ipython", "jupyter-client", "notebook", "jupyterlab")
URL = "https://example.org/someone/some-book"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_lines(source: str) -> list[list[str]]:
    """The arguments after ``%pip install`` of every install line of the cell."""
    lines = [line.strip() for line in source.splitlines() if "pip" in line and "install" in line]
    assert lines, "the cell installs nothing"
    for line in lines:
        assert line.startswith("%pip install "), f"install with %pip (Colab's restart prompt needs it): {line!r}"
    return [shlex.split(line)[2:] for line in lines]


def _requirements(source: str) -> list[str]:
    return [arg for args in _pip_lines(source) for arg in args if not arg.startswith("-")]


def test_the_cell_installs_with_percent_pip_only():
    source = colab_cell.colab_cell_source(URL)
    assert "subprocess" not in source and "!pip" not in source
    _pip_lines(source)


def test_the_cell_installs_no_build_or_test_tool_and_none_of_colabs_kernel():
    for requirement in _requirements(colab_cell.colab_cell_source(URL)):
        name = _norm(re.split(r"[=<>@ \[]", requirement, maxsplit=1)[0])
        for tool in BUILD_AND_TEST:
            assert not name.startswith(tool), f"the Colab cell installs the build/test tool {requirement!r}"
        assert name not in COLAB_KEEPS, f"the Colab cell replaces Colab's own {requirement!r}"
    assert "-r" not in [a for args in _pip_lines(colab_cell.colab_cell_source(URL)) for a in args], \
        "the cell must not install a requirements file (the book's holds the whole build and test stack)"


def test_every_package_is_pinned_and_the_library_comes_from_its_release_tag():
    version = colab_cell.library_version()
    source = colab_cell.colab_cell_source(URL)
    *packages, library = _requirements(source)
    for requirement in packages:
        assert colab_cell.PIN.match(requirement), f"not an exact pin: {requirement!r}"
    assert library == f"kernel-ssl @ git+{URL}@v{version}", f"the library must come from tag v{version}: {library!r}"
    assert f'_kernel_ssl != "{version}"' in source, "the guard must compare the installed library with the release"


def test_the_version_is_the_librarys_own():
    import kernel_ssl

    assert colab_cell.library_version() == kernel_ssl.__version__
    assert colab_cell.release_ref("1.2.3") == "v1.2.3"


def test_the_version_is_read_as_text_and_a_missing_one_is_an_error(tmp_path):
    init = tmp_path / "__init__.py"
    init.write_text('"""doc"""\nVERSION_NOTE = 1\n__version__ = "9.8.7"\n')
    assert colab_cell.library_version(init) == "9.8.7"
    init.write_text("__version__ = compute()\n")
    with pytest.raises(ValueError, match="__version__"):
        colab_cell.library_version(init)


def test_colab_pins_agree_with_the_books_environment():
    direct, locked = pins(ROOT / "requirements.txt"), pins(ROOT / "constraints.txt")
    for name in ("requirements.txt", "requirements-no-deps.txt"):
        for line in colab_cell.colab_pins(name):
            package, version = line.split("==")
            expected = direct.get(_norm(package), locked.get(_norm(package)))
            assert expected == version, f"colab/{name} pins {line}, the book's environment {package}=={expected}"


def test_neural_tangents_and_tf2jax_come_without_dependencies():
    # With dependencies they would pull a second TensorFlow and a newer numpy into Colab's runtime.
    no_deps = [args for args in _pip_lines(colab_cell.colab_cell_source(URL)) if "--no-deps" in args]
    flat = " ".join(a for args in no_deps for a in args)
    for package in ("neural-tangents==", "tf2jax==", "kernel-ssl @"):
        assert package in flat, f"{package} must be installed with --no-deps"


def _run_cell(source: str, monkeypatch, colab: bool, installed: str | None) -> list[tuple[str, str]]:
    """Execute the cell as IPython would, with a recording %pip; returns the magics it ran."""
    calls: list[tuple[str, str]] = []
    shell = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    def version(dist):
        if installed is None:
            raise importlib.metadata.PackageNotFoundError(dist)
        return installed

    monkeypatch.setattr(importlib.metadata, "version", version)
    import plotly.io as pio

    monkeypatch.setattr(pio.renderers, "default", pio.renderers.default)  # restored after the test
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<colab cell>", "exec"), {"get_ipython": lambda: shell, "print": lambda *a: None})
    return calls


def test_the_cell_does_nothing_outside_colab(monkeypatch):
    import plotly.io as pio

    before = pio.renderers.default
    assert _run_cell(colab_cell.colab_cell_source(URL), monkeypatch, colab=False, installed=None) == []
    assert pio.renderers.default == before


def test_in_colab_the_cell_installs_in_order_then_selects_the_colab_renderer(monkeypatch):
    import plotly.io as pio

    calls = _run_cell(colab_cell.colab_cell_source(URL), monkeypatch, colab=True, installed=None)
    assert [name for name, _ in calls] == ["pip"] * 3
    assert "jax==0.5.3" in calls[0][1] and "--no-deps" not in calls[0][1]
    assert "--no-deps" in calls[1][1] and "neural-tangents" in calls[1][1]
    assert "--no-deps" in calls[2][1] and "git+" in calls[2][1]
    assert pio.renderers.default == "colab"


def test_after_the_restart_the_cell_only_selects_the_renderer(monkeypatch):
    import plotly.io as pio

    version = colab_cell.library_version()
    assert _run_cell(colab_cell.colab_cell_source(URL), monkeypatch, colab=True, installed=version) == []
    assert pio.renderers.default == "colab"
    # another version of the library (an older release) is replaced by this one
    assert len(_run_cell(colab_cell.colab_cell_source(URL), monkeypatch, colab=True, installed="0.0.1")) == 3


def test_write_rewrites_only_the_first_code_cell_and_keeps_its_id_and_tags(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# title"),
                                         nbformat.v4.new_code_cell("old install cell"),
                                         nbformat.v4.new_code_cell("seed = 0", metadata={"tags": ["parameters"]})])
    nb.cells[1].metadata["tags"] = ["remove-cell", "colab-install"]
    ids = [c.id for c in nb.cells]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, str(path))
    source = colab_cell.colab_cell_source(URL)
    assert colab_cell.write_cells([path], source) == [path]
    again = nbformat.read(str(path), as_version=4)
    assert [c.id for c in again.cells] == ids
    assert again.cells[1].source == source and again.cells[1].metadata["tags"] == ["remove-cell", "colab-install"]
    assert again.cells[0].source == "# title" and again.cells[2].source == "seed = 0"
    assert colab_cell.write_cells([path], source) == [], "a second --write changes nothing"



def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def _release_problems(repo: Path) -> list[str]:
    # every tag v<version> must name a commit whose __version__ is <version> and whose changelog dates it
    problems = []
    for tag in _git(repo, "tag", "--list", "v*").split():
        version = re.escape(tag[1:])
        init = _git(repo, "show", f"{tag}:lib/kernel_ssl/__init__.py")
        if not re.search(rf'^__version__ = "{version}"$', init, re.M):
            problems.append(f"tag {tag}: lib/kernel_ssl/__init__.py at that commit does not carry that version")
        changelog = _git(repo, "show", f"{tag}:CHANGELOG.md")
        if not re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M):
            problems.append(f"tag {tag}: CHANGELOG.md at that commit has no dated entry '## [{tag[1:]}] - YYYY-MM-DD'")
    return problems


def test_every_release_tag_names_a_commit_carrying_its_version():
    # the Colab cell installs the library from tag v<__version__>: a tag on a commit with another version, or with
    # the release still "Unreleased" in its changelog, would install something the book does not describe
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert not _release_problems(ROOT)


def test_the_release_check_fails_on_a_tag_with_another_version_or_undated(tmp_path):
    # negative control: a throw-away repository whose tag v0.2.0 names a 0.3.0 commit with an Unreleased entry
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(tmp_path, "init", "-q")
    (tmp_path / "lib" / "kernel_ssl").mkdir(parents=True)
    (tmp_path / "lib" / "kernel_ssl" / "__init__.py").write_text('__version__ = "0.3.0"\n')
    (tmp_path / "CHANGELOG.md").write_text("## [0.2.0] - Unreleased\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    _git(tmp_path, "tag", "v0.2.0")
    assert len(_release_problems(tmp_path)) == 2
