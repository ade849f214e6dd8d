"""The Binder twin (``make binder-twin``): a fresh environment built only from ``binder/``, as repo2docker builds the
image, and every chapter executed in it at its defaults on one CPU.

1. The working tree is copied as git would check it out (``.twins/binder-repo``; repo2docker builds from a copy).
2. A fresh virtual environment (``.twins/binder``) on the Python that ``binder/runtime.txt`` names (pyenv's), then,
   from the copy's root, ``pip install -r binder/requirements.txt`` and ``binder/postBuild`` (bash, with the
   environment's ``pip`` first on PATH): the two steps of repo2docker. (repo2docker installs its own JupyterLab
   first; binder/requirements.txt pins the book's, so the twin has the same.)
3. Every chapter runs at its defaults in that environment's kernel, papermill and kernel pinned to CPU 0
   (``taskset -c 0``: mybinder.org gives one CPU). Reported per chapter: pass/fail, time, the kernel's peak memory
   against its budget (1.2 GB; 1.5 GB for a kernel that imports neural-tangents: mybinder.org's limit is 2 GB for
   the kernel and JupyterLab together); and the environment's size on disk, its largest packages, and the widgets'
   JupyterLab extension against ipywidgets.

Targets (issue 16): every chapter passes, at most 120 s each, within its memory budget; the environment at most
2.5 GB. What it does not prove: the image launches on mybinder.org (its clusters and their limits cannot be reached
from here); repo2docker's own base packages are not copied.

    .venv/bin/python tools/twins/binder_twin.py [--chapter STEM ...] [--keep] [--source worktree|head]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from twin import ROOT, TWINS, chapters, copy_worktree, dir_size_mb, execute, load, report, run, write_kernelspec

VENV = TWINS / "binder"
REPO = TWINS / "binder-repo"
JUPYTER = TWINS / "binder-jupyter"
RUNS = TWINS / "binder-runs"
KERNEL = "binder-twin"
PYENV = Path("/root/.pyenv/versions")
SIZE_TARGET_MB = 2.5 * 1024
TIME_TARGET_S = 120.0


def runtime_python(runtime_txt: Path) -> Path:
    """pyenv's interpreter for ``python-X.Y`` in ``runtime_txt`` (the newest X.Y.Z installed)."""
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime_txt.read_text().strip())
    if not match:
        raise ValueError(f"{runtime_txt} must hold one line 'python-X.Y', got {runtime_txt.read_text()!r}")
    found = sorted(PYENV.glob(f"{match.group(1)}.*/bin/python"), key=lambda p: [int(x) for x in
                                                                              p.parts[-3].split(".")])
    if not found:
        raise FileNotFoundError(f"no pyenv Python {match.group(1)} under {PYENV} (binder/runtime.txt asks for it)")
    return found[-1]


def checkout(source: str) -> None:
    """The repository as repo2docker receives it: the working tree as a clone would hold it, or the last commit
    (with the working tree's binder/)."""
    if source == "worktree":
        copy_worktree(REPO)
        return
    if REPO.exists():
        shutil.rmtree(REPO)
    REPO.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(REPO)], input=archive, check=True)
    # binder/ itself as it is now (the configuration under test, possibly not committed yet)
    shutil.rmtree(REPO / "binder", ignore_errors=True)
    shutil.copytree(ROOT / "binder", REPO / "binder")


def build(source: str, keep: bool) -> float:
    """Build the environment from binder/ (with ``keep`` and an existing one: only postBuild again, which puts the
    checkout's library in); returns the build's seconds."""
    checkout(source)
    env = dict(os.environ, PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(VENV))
    if keep and (VENV / "bin" / "python").exists():
        run(["bash", "binder/postBuild"], cwd=REPO, env=env)
        return 0.0
    if VENV.exists():
        shutil.rmtree(VENV)
    start = time.perf_counter()
    run([runtime_python(REPO / "binder" / "runtime.txt"), "-m", "venv", VENV])
    pip = [VENV / "bin" / "python", "-m", "pip"]
    run([*pip, "install", "--quiet", "--upgrade", "pip>=24"])
    run([*pip, "install", "--quiet", "-r", "binder/requirements.txt"], cwd=REPO)
    run(["bash", "binder/postBuild"], cwd=REPO, env=env)
    return time.perf_counter() - start


def largest_packages(n: int = 5) -> dict[str, float]:
    """The ``n`` largest folders of the environment's site-packages, in MB."""
    site = next((VENV / "lib").glob("python*/site-packages"))
    sizes = {p.name: dir_size_mb(p) for p in site.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")}
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:n])


def widgets_front_end() -> str:
    """The widgets' JupyterLab extension installed, and whether it is the one ipywidgets requires."""
    python = VENV / "bin" / "python"
    code = ("import importlib.metadata as m, json; print(json.dumps({d: m.version(d) for d in "
            "('ipywidgets', 'jupyterlab_widgets', 'jupyterlab')}))")
    versions = json.loads(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout)
    listing = subprocess.run([VENV / "bin" / "jupyter", "labextension", "list"], capture_output=True, text=True)
    text = listing.stdout + listing.stderr
    match = re.search(r"@jupyter-widgets/jupyterlab-manager v(\S+)\s+\S*enabled\S*\s+\S*OK", text)
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True).stdout.strip()
    manager = f"v{match.group(1)} enabled OK" if match else "MISSING"
    return (f"{versions}; @jupyter-widgets/jupyterlab-manager {manager}"
            f"; pip check: {check.splitlines()[0] if check else 'nothing'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", action="append", help="a chapter's stem (repeatable; default: all)")
    parser.add_argument("--keep", action="store_true", help="reuse .twins/binder if it exists (not a fresh build)")
    parser.add_argument("--source", choices=("worktree", "head"), default="worktree",
                        help="what the image is built from: the working tree (default) or the last commit (binder/ "
                             "from the working tree)")
    args = parser.parse_args()
    build_s = build(args.source, args.keep)
    size = dir_size_mb(VENV)
    # The reader's kernel: plotly's own renderer for JupyterLab, not the book's HTML (Makefile exports that one).
    write_kernelspec(JUPYTER, KERNEL, VENV / "bin" / "python", {"KERNEL_SSL_RENDERER": "auto"})
    if RUNS.exists():
        shutil.rmtree(RUNS)
    env = {k: v for k, v in os.environ.items() if k != "KERNEL_SSL_RENDERER"}
    runs = []
    for path in chapters():
        if args.chapter and path.stem not in args.chapter:
            continue
        nb = nbformat.read(str(REPO / path.relative_to(ROOT)), as_version=4)
        result, _ = execute(nb, path.stem, RUNS, KERNEL, JUPYTER, {}, cpus="0", env=env, cwd=REPO / "book")
        runs.append(result)
    over = [r.chapter for r in runs if r.seconds > TIME_TARGET_S or r.peak_mb > r.budget_mb]
    extra = {"environment MB": size, "target MB": SIZE_TARGET_MB, "largest packages MB": largest_packages(),
             "build s": round(build_s, 1) if build_s else "reused (--keep)", "source": args.source,
             "widgets": widgets_front_end(),
             "over a target (120 s, memory budget)": over or "none", "load at the end": load(),
             "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    ok = report("binder-twin", runs, extra)
    return 0 if ok and size <= SIZE_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
