"""The first cell of every chapter: in Colab it installs the pinned stack and the book's library; elsewhere
it does nothing. Kept here so that all chapters carry the same cell (tests/test_notebook_structure.py checks
that each chapter's first cell equals ``colab_cell_source()`` for the repository URL in _config.yml)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = '''# Colab only: install the book's pinned environment and its library (this cell does nothing elsewhere).
import os, subprocess, sys
if "google.colab" in sys.modules and not os.path.exists("/content/book-src"):
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", "{url}", "/content/book-src"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", "/content/book-src/requirements.txt"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "/content/book-src"], check=True)
    print("Installed. Restart the runtime now (Runtime > Restart session), then run all cells from the top.")'''  # noqa: E501 - the cell every chapter carries, verbatim


def repository_url() -> str:
    """The repository URL: the one setting in _config.yml that launch buttons and this cell use."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def colab_cell_source(url: str | None = None) -> str:
    return TEMPLATE.format(url=url or repository_url())


if __name__ == "__main__":
    print(colab_cell_source())
