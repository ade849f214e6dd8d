"""Execute each chapter (papermill) and print its wall time and the peak memory of its kernel process.

Budgets (the developers' guide): at most 60 s per chapter at default settings and 30 s with quick=True on 2 cores;
a kernel peak under 1.2 GB, or 1.5 GB for a chapter whose kernel imports neural-tangents (Binder gives 2 GB).
Whether it does is measured, not declared: a last cell appended to a copy of the chapter reports whether
``neural_tangents`` is in ``sys.modules``. This prints measurements and their ratio to the budget; it asserts
nothing (timings on shared machines are noisy).

    .venv/bin/python benchmarks/chapters.py            # all chapters in _toc.yml, default and quick
    .venv/bin/python benchmarks/chapters.py --quick-only --chapter stepwise
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from toc import chapter_notebooks  # noqa: E402

BUDGET_S = {False: 60.0, True: 30.0}
BUDGET_MB = {False: 1.2 * 1024, True: 1.5 * 1024}  # keyed by "the kernel imported neural_tangents"
PROBE = 'import sys\nprint("neural_tangents imported:", "neural_tangents" in sys.modules)'


def _kernel_peak(proc: psutil.Process, stop: threading.Event, peak: list[float]) -> None:
    # The kernel is a descendant of the papermill process: poll the whole tree, keep the largest single RSS.
    while not stop.is_set():
        try:
            for child in proc.children(recursive=True):
                try:
                    peak[0] = max(peak[0], child.memory_info().rss / 2 ** 20)
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        time.sleep(0.05)


def run_watched(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """Run ``cmd`` (a papermill execution) and return (wall seconds, peak MB of its kernel, exit code, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop, peak = threading.Event(), [0.0]
    watcher = threading.Thread(target=_kernel_peak, args=(psutil.Process(proc.pid), stop, peak))
    watcher.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    watcher.join()
    return elapsed, peak[0], proc.returncode, err


def _imports_neural_tangents(executed: Path) -> bool:
    out = nbformat.read(str(executed), as_version=4).cells[-1].get("outputs", [])
    return any("neural_tangents imported: True" in o.get("text", "") for o in out)


def run_chapter(path: Path, quick: bool) -> tuple[float, float, int, bool]:
    """Run ``path`` (with the probe cell appended) at the given ``quick``; return (seconds, peak MB of the
    kernel, papermill's exit code, whether the kernel imported neural_tangents)."""
    env = dict(os.environ, KERNEL_SSL_RENDERER="book")
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.read(str(path), as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        probed, executed = Path(tmp) / f"probe-{path.name}", Path(tmp) / path.name
        nbformat.write(nb, str(probed))
        cmd = [sys.executable, "-m", "papermill", str(probed), str(executed), "--cwd",
               str(path.parent), "-p", "quick", str(quick), "-p", "seed", "0", "--no-progress-bar"]
        elapsed, peak, returncode, err = run_watched(cmd, env)
        if returncode:
            print(err.decode()[-2000:], file=sys.stderr)
            return elapsed, peak, returncode, False
        return elapsed, peak, returncode, _imports_neural_tangents(executed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick-only", action="store_true")
    parser.add_argument("--default-only", action="store_true")
    parser.add_argument("--chapter", action="append", help="a chapter's stem (repeatable; default: all)")
    args = parser.parse_args()
    modes = [True] if args.quick_only else [False] if args.default_only else [False, True]
    print(f"{'chapter':24s} {'mode':8s} {'time s':>7s} {'/budget':>8s} {'peak MB':>8s} {'budget':>7s} {'/budget':>8s}"
          f"  neural-tangents")
    for path in chapter_notebooks():
        if args.chapter and path.stem not in args.chapter:
            continue
        for quick in modes:
            elapsed, peak, rc, uses_nt = run_chapter(path, quick)
            status = "" if rc == 0 else f"  FAILED (exit {rc})"
            print(f"{path.stem:24s} {'quick' if quick else 'default':8s} {elapsed:7.1f} "
                  f"{elapsed / BUDGET_S[quick]:8.2f} {peak:8.0f} {BUDGET_MB[uses_nt]:7.0f} "
                  f"{peak / BUDGET_MB[uses_nt]:8.2f}  {'yes' if uses_nt else 'no'}{status}", flush=True)


if __name__ == "__main__":
    main()
