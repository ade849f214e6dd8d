"""What the Colab and Binder twins share: a kernelspec for a twin's Python, a chapter run in that kernel with its peak
memory, and the report.

A twin is a virtual environment under ``.twins/`` holding the packages of a service (Colab's runtime, the image
repo2docker builds from ``binder/``). Chapters are executed by papermill from the book's own ``.venv`` (the
"front end" side: papermill, nbclient, jupyter_client), in a kernel started with the twin's Python, so that what
runs the chapter is exactly the twin's ipykernel, IPython, jax, TensorFlow, plotly and ipywidgets.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
TWINS = ROOT / ".twins"
REPORTS = ROOT / "_build" / "twins"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))
# the same probe cell (did the kernel import neural-tangents?), budgets and peak-memory watcher as the benchmark
from chapters import BUDGET_MB, PROBE, _imports_neural_tangents, run_watched  # noqa: E402


@dataclass(frozen=True)
class ChapterRun:
    """One chapter executed in a twin: ``status`` is "pass" or "fail: <reason>"; ``peak_mb`` is the largest RSS of
    a process under papermill (the kernel); ``budget_mb`` follows whether it imported neural-tangents."""

    chapter: str
    status: str
    seconds: float
    peak_mb: float
    neural_tangents: bool
    budget_mb: float
    load: str


def chapters() -> list[Path]:
    """The chapter notebooks of _toc.yml."""
    from toc import chapter_notebooks

    return chapter_notebooks()


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``cmd`` with check=True, echoed (the twins are run by hand: say what happens)."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def write_kernelspec(jupyter_dir: Path, name: str, python: Path, env: dict[str, str],
                     preamble: str | None = None) -> None:
    """A kernelspec ``name`` under ``jupyter_dir/kernels`` that starts ipykernel with ``python`` and ``env``.

    Args:
        jupyter_dir: a folder put on ``$JUPYTER_PATH`` for papermill (the twin's, not the user's).
        name: the kernel's name (papermill's ``-k``).
        python: the twin's interpreter.
        env: variables set in the kernel's environment (on top of the caller's).
        preamble: Python run in the kernel before ipykernel starts (e.g. ``import google.colab``: Colab's kernels
            have it imported when the first cell runs).
    """
    folder = jupyter_dir / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    if preamble:
        argv = [str(python), "-c", f"{preamble}\nfrom ipykernel import kernelapp\nkernelapp.launch_new_instance()",
                "-f", "{connection_file}"]
    else:
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": name, "language": "python", "env": env}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))


def load() -> str:
    """The machine's 1-minute load and its number of CPUs (timings are only comparable with it)."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def execute(notebook: nbformat.NotebookNode, stem: str, out_dir: Path, kernel: str, jupyter_dir: Path,
            parameters: dict[str, object], cpus: str | None = None, timeout_s: int = 1800,
            env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[ChapterRun, Path]:
    """Execute ``notebook`` (the probe cell appended) with papermill in the twin kernel ``kernel``.

    Args:
        notebook: the chapter as it will run (its install cell already the one under test).
        stem: the chapter's name, for the report and the output file.
        out_dir: where the executed copy is written (``<stem>.ipynb``).
        kernel: the kernelspec's name; ``jupyter_dir`` is put on ``$JUPYTER_PATH`` to find it.
        jupyter_dir: see ``kernel``.
        parameters: papermill's ``-p`` values (empty: the chapter's defaults).
        cpus: a CPU list for ``taskset -c`` (papermill and the kernel are pinned), or None.
        timeout_s: papermill's per-cell timeout.
        env: the environment of papermill and so of the kernel (default: the caller's).
        cwd: the kernel's working directory (default: the checkout's book/).

    Returns:
        The run's report and the executed notebook's path.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    source, executed = out_dir / f"{stem}.input.ipynb", out_dir / f"{stem}.ipynb"
    nbformat.write(notebook, str(source))
    cmd = [sys.executable, "-m", "papermill", str(source), str(executed), "-k", kernel,
           "--cwd", str(cwd or ROOT / "book"), "--execution-timeout", str(timeout_s), "--no-progress-bar"]
    for key, value in parameters.items():
        cmd += ["-p", key, str(value)]
    if cpus is not None:
        cmd = ["taskset", "-c", cpus, *cmd]
    env = dict(env if env is not None else os.environ)
    env["JUPYTER_PATH"] = str(jupyter_dir)
    before = load()
    seconds, peak_mb, returncode, err = run_watched(cmd, env)
    uses_nt = False
    if returncode:
        lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
        status = "fail: " + (lines[-1][:300] if lines else f"papermill exited {returncode}")
        (out_dir / f"{stem}.stderr.txt").write_text(err.decode(errors="replace"))
    else:
        status = "pass"
        uses_nt = _imports_neural_tangents(executed)
    return ChapterRun(stem, status, round(seconds, 1), round(peak_mb), uses_nt, BUDGET_MB[uses_nt],
                      f"{before} before, {load()} after"), executed


def dir_size_mb(path: Path) -> float:
    """The size on disk of ``path`` (du's allocated blocks), in MB."""
    out = subprocess.run(["du", "-sm", str(path)], check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def report(name: str, runs: list[ChapterRun], extra: dict[str, object]) -> bool:
    """Print a table of ``runs`` and write it (and ``extra``) to ``_build/twins/<name>.json``; True if all pass."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    print(f"\n{name}: {'chapter':18s} {'status':8s} {'time s':>7s} {'peak MB':>8s} {'budget':>7s}  neural-tangents")
    for r in runs:
        print(f"{'':{len(name) + 2}s}{r.chapter:18s} {r.status[:8]:8s} {r.seconds:7.1f} {r.peak_mb:8.0f} "
              f"{r.budget_mb:7.0f}  {'yes' if r.neural_tangents else 'no'}")
        if r.status != "pass":
            print(f"{'':{len(name) + 2}s}  {r.status}")
    for key, value in extra.items():
        print(f"{name}: {key}: {value}")
    path = REPORTS / f"{name}.json"
    path.write_text(json.dumps({"runs": [asdict(r) for r in runs], **extra}, indent=1, default=str))
    print(f"{name}: report written to {path.relative_to(ROOT)}")
    return all(r.status == "pass" for r in runs)


def copy_worktree(dest: Path, clean: bool = True) -> None:
    """Copy the files git would give a fresh clone of the working tree (tracked and untracked-but-not-ignored, as
    they are now) into ``dest`` (emptied first if ``clean``); repo2docker builds from such a copy, and the twins
    must not write into the checkout."""
    if clean and dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
