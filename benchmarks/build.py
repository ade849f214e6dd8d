"""Build the whole website from a cold cache and print it against its budgets (prints, asserts nothing).

Budgets: the book builds from a cold cache (every chapter executed) in under 8 minutes on 2 CPU cores, and
no page is larger than 2 MB without the scripts all pages share (``_static/``: theme, plotly.js, MathJax,
widgets). The build goes to a fresh temporary folder, so neither ``_build`` nor its execution cache is used
or touched; it is pinned to ``--cores`` CPUs (default 2) where the machine has more.

    .venv/bin/python benchmarks/build.py                  # cold build, then page sizes
    .venv/bin/python benchmarks/build.py --html _build/html   # page sizes of an existing build only
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 8 * 60.0
PAGE_BUDGET_BYTES = 2 * 2 ** 20
RESOURCE = re.compile(r"""<(?:img|source|video|audio|embed|iframe)\b[^>]*?\bsrc=["']([^"'#?]+)""")


def cold_build(out: Path, cores: int) -> tuple[float, int, str]:
    """Run the strict build into ``out``; returns (seconds, exit code, output tail)."""
    env = dict(os.environ, KERNEL_SSL_RENDERER="book", TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    jb = Path(sys.executable).parent / "jupyter-book"
    available = sorted(os.sched_getaffinity(0))

    def pin() -> None:  # the budget is stated for 2 cores; use no more even on a larger machine
        os.sched_setaffinity(0, available[:cores])

    start = time.perf_counter()
    proc = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(out), "--builder", "html", "-W", "-n",
                           "--keep-going"], cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=pin)
    return time.perf_counter() - start, proc.returncode, (proc.stdout + proc.stderr)[-3000:]


def execution_times(cache: Path) -> dict[str, float]:
    """Seconds each notebook took to execute during the build (from the jupyter-cache records)."""
    from jupyter_cache import get_cache

    if not cache.is_dir():
        return {}
    return {Path(r.uri).stem: r.data.get("execution_seconds", float("nan"))
            for r in get_cache(cache).list_cache_records()}


def page_sizes(html: Path) -> list[tuple[str, int, int]]:
    """(page, HTML bytes, bytes of the page's own files outside _static) for every built page."""
    rows = []
    for page in sorted(html.rglob("*.html")):
        rel = page.relative_to(html)
        if rel.parts[0] == "_static":
            continue
        text = page.read_text(errors="replace")
        own = 0
        for src in set(RESOURCE.findall(text)):
            target = (page.parent / src).resolve()
            if target.is_file() and "_static" not in target.relative_to(html.resolve()).parts:
                own += target.stat().st_size
        rows.append((rel.as_posix(), page.stat().st_size, own))
    return rows


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def report_pages(html: Path) -> None:
    rows = page_sizes(html)
    print(f"\n{'page (without _static)':40s} {'HTML kB':>9s} {'own files kB':>13s} {'/2 MB':>7s}")
    for name, size, own in sorted(rows, key=lambda r: -(r[1] + r[2])):
        total = size + own
        flag = "  OVER BUDGET" if total > PAGE_BUDGET_BYTES else ""
        print(f"{name:40s} {size / 1024:9.0f} {own / 1024:13.0f} {total / PAGE_BUDGET_BYTES:7.2f}{flag}")
    static = html / "_static"
    print(f"\nshared scripts and styles (_static): {folder_size(static) / 2 ** 20:.1f} MB, of which "
          + ", ".join(f"{p.name} {(folder_size(p) if p.is_dir() else p.stat().st_size) / 2 ** 20:.1f} MB"
                      for p in sorted((static / "vendor").iterdir()) if p.name != "README.txt"))
    print(f"whole website: {folder_size(html) / 2 ** 20:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=Path, help="only report the page sizes of this built website")
    parser.add_argument("--cores", type=int, default=2, help="CPUs the build may use (default 2)")
    args = parser.parse_args()
    if args.html:
        report_pages(args.html)
        return
    cores = min(args.cores, len(os.sched_getaffinity(0)))
    with tempfile.TemporaryDirectory(prefix="book-build-") as tmp:
        out = Path(tmp)
        print(f"cold build (empty execution cache) on {cores} CPU core(s) of {os.cpu_count()} ...", flush=True)
        seconds, code, tail = cold_build(out, cores)
        if code:
            print(f"BUILD FAILED (exit {code}):\n{tail}")
        print(f"\n{'build':40s} {seconds:7.0f} s {seconds / BUDGET_S:6.2f} of the {BUDGET_S / 60:.0f}-minute budget")
        for name, sec in execution_times(out / "_build" / ".jupyter_cache").items():
            print(f"  executing {name:30s} {sec:7.0f} s")
        if (out / "_build" / "html").is_dir():
            report_pages(out / "_build" / "html")


if __name__ == "__main__":
    main()
