"""Build the book once per test session (strict: warnings are errors), for the build, site and browser tests.

The build goes to ``<BUILD_DIR>/_build`` (the execution cache included): the repository itself unless
``$BOOK_BUILD_DIR`` names another folder, which keeps a second build out of the way of ``make book``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from toc import ROOT

BUILD_DIR = Path(os.environ.get("BOOK_BUILD_DIR", ROOT)).resolve()
HTML = BUILD_DIR / "_build" / "html"
SCREENSHOTS = BUILD_DIR / "_build" / "screenshots"


@lru_cache(maxsize=1)
def build_book() -> tuple[int, str]:
    """Run ``jupyter-book build`` with -W -n --keep-going; returns (exit code, combined output)."""
    env = dict(os.environ, KERNEL_SSL_RENDERER="book", TF_CPP_MIN_LOG_LEVEL="3")
    # the execution cache keys on code cells only: clear it when lib/ or the pins changed (tools/book_inputs.py)
    subprocess.run([sys.executable, str(ROOT / "tools" / "book_inputs.py"), str(BUILD_DIR)], check=True)
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(BUILD_DIR), "--builder", "html",
                           "-W", "-n", "--keep-going"], cwd=ROOT, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr
