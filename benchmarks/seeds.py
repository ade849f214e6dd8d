"""Run each chapter over many seeds and print the spread of every number it publishes.

The bands in tests/claims/ rest on the mathematics or on this spread; a band that cites the spread quotes the
numbers this script prints (mean, standard deviation, range over seeds). It asserts nothing.

    .venv/bin/python benchmarks/seeds.py --chapter stepwise --seeds 0-5          # quick=True (the tests' setting)
    .venv/bin/python benchmarks/seeds.py --chapter grassmannian --seeds 0,1 --defaults
    .venv/bin/python benchmarks/seeds.py --seeds 0-3 --csv spread.csv            # every chapter, also as CSV
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import papermill

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from notebook_run import CELL_TIMEOUT_S, glued_values  # noqa: E402
from toc import chapter_notebooks  # noqa: E402


def seed_list(text: str) -> list[int]:
    """``"0-4"`` -> 0..4, ``"0,3,7"`` -> those seeds."""
    if "-" in text:
        first, last = (int(v) for v in text.split("-", 1))
        if last < first:
            raise SystemExit(f"--seeds {text}: the range is empty")
        return list(range(first, last + 1))
    return [int(v) for v in text.split(",")]


def published_numbers(path: Path, seed: int, quick: bool) -> dict[str, float | list[float]]:
    """Run the chapter once and return its published numbers (bools and strings dropped)."""
    os.environ["KERNEL_SSL_RENDERER"] = "book"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        papermill.execute_notebook(str(path), str(out), parameters={"quick": quick, "seed": seed},
                                   cwd=str(path.parent), progress_bar=False, kernel_name="python3",
                                   execution_timeout=CELL_TIMEOUT_S)
        values = glued_values(nbformat.read(str(out), as_version=4))
    keep = {}
    for name, value in values.items():
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if isinstance(value, (int, float)):
            keep[name] = float(value)
        elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
            keep[name] = [float(v) for v in value]
    return keep


def spread_rows(runs: dict[int, dict]) -> list[dict]:
    """One row per published scalar (lists: one row per entry, ``name[i]``): per-seed values, mean, sd, range."""
    series: dict[str, dict[int, float]] = {}
    for seed, values in runs.items():
        for name, value in values.items():
            entries = value if isinstance(value, list) else [value]
            for i, v in enumerate(entries):
                series.setdefault(name if not isinstance(value, list) else f"{name}[{i}]", {})[seed] = v
    rows = []
    for name, by_seed in series.items():
        vals = np.array(list(by_seed.values()))
        finite = vals[np.isfinite(vals)]
        rows.append(dict(name=name, n=len(vals), mean=float(np.mean(finite)) if finite.size else math.nan,
                         sd=float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan,
                         min=float(np.min(finite)) if finite.size else math.nan,
                         max=float(np.max(finite)) if finite.size else math.nan,
                         values=" ".join(f"{by_seed[s]:.4g}" for s in sorted(by_seed))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", action="append", help="chapter stem (repeatable); default every chapter")
    parser.add_argument("--seeds", default="0-4", help="a range 0-4 or a list 0,1,2 (default 0-4)")
    parser.add_argument("--defaults", action="store_true", help="run at the chapter's defaults, not quick=True")
    parser.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    args = parser.parse_args()
    seeds = seed_list(args.seeds)
    chapters = [p for p in chapter_notebooks() if not args.chapter or p.stem in args.chapter]
    if not chapters:
        raise SystemExit(f"no chapter named {args.chapter}; chapters: {[p.stem for p in chapter_notebooks()]}")
    all_rows = []
    for path in chapters:
        runs = {seed: published_numbers(path, seed, quick=not args.defaults) for seed in seeds}
        rows = spread_rows(runs)
        print(f"\n{path.stem} ({'defaults' if args.defaults else 'quick=True'}, seeds {seeds})")
        print(f"{'name':44s} {'mean':>11s} {'sd':>10s} {'min':>11s} {'max':>11s}  values by seed")
        for row in rows:
            print(f"{row['name'][:44]:44s} {row['mean']:11.4g} {row['sd']:10.3g} {row['min']:11.4g} "
                  f"{row['max']:11.4g}  {row['values']}")
        all_rows += [dict(chapter=path.stem, **row) for row in rows]
    if args.csv:
        with args.csv.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(all_rows[0]))
            writer.writeheader()
            writer.writerows(all_rows)


if __name__ == "__main__":
    main()
