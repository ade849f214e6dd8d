"""Keep the book's execution cache honest: it must be rebuilt when the library or the pinned stack changes.

Jupyter Book's cache (jupyter-cache, ``_build/.jupyter_cache``) keys a notebook on its code cells only, so after
an edit to ``lib/`` or to ``requirements.txt`` it would publish the outputs of the old code. This script hashes
everything a chapter's outputs depend on besides its own cells, and deletes the cache when that hash changed
since the last build. ``make book`` and the tests' book build run it before ``jupyter-book build``.

    python tools/book_inputs.py [BUILD_DIR]      # BUILD_DIR holds _build/ (default: the repository root)
"""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what a chapter's outputs depend on besides its code cells (the renderer is fixed by make/the tests)
INPUT_GLOBS = ("lib/kernel_ssl/**/*.py", "requirements.txt", "pyproject.toml")
HASH_FILE = ".book-inputs.sha256"


def inputs_digest(root: Path = ROOT) -> str:
    """SHA-256 over the paths and bytes of every input file, in sorted order."""
    digest = hashlib.sha256()
    files = sorted({p for pattern in INPUT_GLOBS for p in root.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh_cache(build_dir: Path, root: Path = ROOT) -> bool:
    """Delete ``build_dir/_build/.jupyter_cache`` if the inputs changed since it was filled; record the digest.

    Returns:
        True if a stale cache was deleted.
    """
    build = build_dir / "_build"
    cache, stamp = build / ".jupyter_cache", build / HASH_FILE
    digest = inputs_digest(root)
    stale = cache.exists() and (not stamp.is_file() or stamp.read_text().strip() != digest)
    if stale:
        shutil.rmtree(cache)
    build.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return stale


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    if refresh_cache(target):
        print("library or pinned stack changed since the last build: execution cache cleared")
