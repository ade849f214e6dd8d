"""Find the book's chapters from _toc.yml (never from a hand-kept list)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _entries(node) -> list[str]:
    files: list[str] = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for key in ("root", "parts", "chapters", "sections"):
            if key == "root" and key in node:
                files.append(node["root"])
            elif key in node:
                for child in node[key]:
                    files.extend(_entries(child))
    elif isinstance(node, list):
        for child in node:
            files.extend(_entries(child))
    return files


def toc_files() -> list[Path]:
    """Every document in _toc.yml, resolved to its file (extension added)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    paths = []
    for entry in _entries(toc):
        matches = [p for p in (ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")) if p.is_file()]
        if not matches:
            raise FileNotFoundError(f"_toc.yml lists {entry!r} but no .ipynb or .md file exists for it")
        paths.append(matches[0])
    return paths


def chapter_notebooks() -> list[Path]:
    """The executable chapters: every notebook listed in _toc.yml, in book order."""
    return [p for p in toc_files() if p.suffix == ".ipynb"]
