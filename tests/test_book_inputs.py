"""tools/book_inputs.py clears the execution cache exactly when the library or the pinned stack changed."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from toc import ROOT

spec = importlib.util.spec_from_file_location("book_inputs", ROOT / "tools" / "book_inputs.py")
book_inputs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book_inputs)


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "lib" / "kernel_ssl").mkdir(parents=True)
    (tmp_path / "lib" / "kernel_ssl" / "kernels.py").write_text("x = 1\n")
    (tmp_path / "requirements.txt").write_text("jax==0.4.30\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "_build" / ".jupyter_cache").mkdir(parents=True)
    return tmp_path


def test_unchanged_inputs_keep_the_cache(tmp_path):
    root = _tree(tmp_path)
    book_inputs.refresh_cache(root, root)  # first build after this tool: no stamp yet, so the cache goes
    (root / "_build" / ".jupyter_cache").mkdir()
    assert not book_inputs.refresh_cache(root, root)
    assert (root / "_build" / ".jupyter_cache").is_dir()


def test_a_library_edit_or_a_new_pin_clears_the_cache(tmp_path):
    root = _tree(tmp_path)
    book_inputs.refresh_cache(root, root)
    for edit in (root / "lib" / "kernel_ssl" / "kernels.py", root / "requirements.txt"):
        (root / "_build" / ".jupyter_cache").mkdir()
        edit.write_text(edit.read_text() + "# changed\n")
        assert book_inputs.refresh_cache(root, root)
        assert not (root / "_build" / ".jupyter_cache").exists()


def test_the_digest_covers_the_real_library():
    digest = book_inputs.inputs_digest(ROOT)
    assert len(digest) == 64 and digest == book_inputs.inputs_digest(ROOT)
