"""Latency of every chapter's live controls (the ipywidgets shown in Binder and Colab).

A reader moves a slider; the kernel recomputes the figure and displays it in the control's output area. The
guide's budget is 100 ms per redraw. This executes each chapter (``quick=True``, seed 0) in a Jupyter kernel
with one extra cell appended to a temporary copy: that cell finds the live controls the chapter created
(``kernel_ssl.widgets.live_figure``: a box of controls above an ``Output``) and sets each control in turn to
the values a reader would pick (a slider's ends and middle, each option of a menu), timing the assignment.
Setting ``value`` runs the whole redraw synchronously in the kernel (observer, callback, figure and its
formatting into the output area), so the time is what a reader waits for, minus the browser's drawing. The
first change of each control is a warm-up and is not counted. Prints the median and the maximum per chapter
and their ratio to the budget; asserts nothing (timings on shared machines are noisy).

    .venv/bin/python benchmarks/callbacks.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from toc import chapter_notebooks  # noqa: E402

BUDGET_MS = 100.0
MARKER = "CALLBACK-TIMINGS "

# Runs inside the chapter's kernel after its last cell.
TIMING_CELL = r'''
import json as _json, statistics as _st, time as _time
import ipywidgets as _w
from ipywidgets.widgets.widget import _instances as _live


def _reader_values(control):
    if isinstance(control, (_w.IntSlider, _w.FloatSlider)):
        middle = control.min + (control.max - control.min) / 2
        middle = round(middle) if isinstance(control, _w.IntSlider) else middle
        return [control.min, middle, control.max, control.value]
    if hasattr(control, "options") and control.options:
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return options + [control.value]
    return []


_boxes = [b for b in list(_live.values()) if isinstance(b, _w.VBox) and b.children
          and isinstance(b.children[-1], _w.Output)]
_times, _slowest = [], (0.0, "")
for _box in _boxes:
    _controls = [c for row in _box.children if isinstance(row, _w.HBox) for c in row.children]
    for _control in _controls:
        _first = True
        for _value in _reader_values(_control):
            if _value == _control.value:
                continue
            _start = _time.perf_counter()
            _control.value = _value
            _elapsed = 1000 * (_time.perf_counter() - _start)
            if not _first:
                _times.append(_elapsed)
                _slowest = max(_slowest, (_elapsed, f"{_control.description} = {_value}"))
            _first = False
print("CALLBACK-TIMINGS " + _json.dumps({"boxes": len(_boxes), "ms": _times, "slowest": _slowest[1]}))
'''


def time_chapter(path: Path) -> dict:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(TIMING_CELL))
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / path.name, Path(tmp) / f"out-{path.name}"
        nbformat.write(nb, str(src))
        os.environ["KERNEL_SSL_RENDERER"] = "book"
        papermill.execute_notebook(str(src), str(out), parameters={"quick": True, "seed": 0},
                                   cwd=str(path.parent), progress_bar=False, kernel_name="python3")
        executed = nbformat.read(str(out), as_version=4)
    text = "".join(o.get("text", "") for o in executed.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(line for line in text.splitlines() if line.startswith(MARKER))
    return json.loads(line[len(MARKER):])


def main() -> None:
    print(f"{'chapter':24s} {'controls':>8s} {'redraws':>8s} {'median ms':>10s} {'max ms':>8s} "
          f"{'median/budget':>14s}  slowest move")
    for path in chapter_notebooks():
        result = time_chapter(path)
        ms = sorted(result["ms"])
        if not ms:
            print(f"{path.stem:24s} {result['boxes']:8d} {0:8d}   (no live control moved)")
            continue
        median = ms[len(ms) // 2] if len(ms) % 2 else (ms[len(ms) // 2 - 1] + ms[len(ms) // 2]) / 2
        print(f"{path.stem:24s} {result['boxes']:8d} {len(ms):8d} {median:10.1f} {ms[-1]:8.1f} "
              f"{median / BUDGET_MS:14.2f}  {result['slowest']}", flush=True)


if __name__ == "__main__":
    main()
