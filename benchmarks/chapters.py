"""Execute each chapter (papermill) and print its wall time and the peak memory of its kernel process.

Budgets (DEVELOPERS guide / issues): about a minute per chapter at default settings (90 s hard), under 30 s
with quick=True, kernel peak under 1.5 GB. This prints measurements and their ratio to the budget; it asserts
nothing (timings on shared machines are noisy).

    .venv/bin/python benchmarks/chapters.py            # all chapters in _toc.yml, default and quick
    .venv/bin/python benchmarks/chapters.py --quick-only
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

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from toc import chapter_notebooks  # noqa: E402

BUDGET_S = {False: 90.0, True: 30.0}
BUDGET_MB = 1536.0


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


def run_chapter(path: Path, quick: bool) -> tuple[float, float, int]:
    env = dict(os.environ, KERNEL_SSL_RENDERER="book")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "papermill", str(path), str(Path(tmp) / path.name), "--cwd",
               str(path.parent), "-p", "quick", str(quick), "-p", "seed", "0", "--no-progress-bar"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stop, peak = threading.Event(), [0.0]
        watcher = threading.Thread(target=_kernel_peak, args=(psutil.Process(proc.pid), stop, peak))
        watcher.start()
        _, err = proc.communicate()
        elapsed = time.perf_counter() - start
        stop.set()
        watcher.join()
        if proc.returncode:
            print(err.decode()[-2000:], file=sys.stderr)
        return elapsed, peak[0], proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick-only", action="store_true")
    parser.add_argument("--default-only", action="store_true")
    args = parser.parse_args()
    modes = [True] if args.quick_only else [False] if args.default_only else [False, True]
    print(f"{'chapter':32s} {'mode':8s} {'time s':>7s} {'/budget':>8s} {'peak MB':>8s} {'/budget':>8s}")
    for path in chapter_notebooks():
        for quick in modes:
            elapsed, peak, rc = run_chapter(path, quick)
            status = "" if rc == 0 else f"  FAILED (exit {rc})"
            print(f"{path.stem:32s} {'quick' if quick else 'default':8s} {elapsed:7.1f} "
                  f"{elapsed / BUDGET_S[quick]:8.2f} {peak:8.0f} {peak / BUDGET_MB:8.2f}{status}", flush=True)


if __name__ == "__main__":
    main()
