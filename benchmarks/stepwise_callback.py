"""Latency of the live control of the chapter *The stepwise nature of self-supervised learning*.

In Binder or Colab the chapter's ipywidgets redraw the closed-form staircase on every change of a slider; the
callback must stay under 100 ms to feel immediate. This times the callback (``stepwise.closed_form_staircase``:
closed form plus the plotly figure) and the figure's serialisation to JSON (what displaying it costs on top),
over a grid of slider settings, after one warm-up call (the first call loads plotly's templates). Prints the
median over repeats and its ratio to the 100 ms budget; asserts nothing (timings on shared machines are noisy).

    .venv/bin/python benchmarks/stepwise_callback.py [--repeats 30]
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import time

from kernel_ssl import stepwise

BUDGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per measurement")
    args = parser.parse_args()
    settings = list(itertools.product([-2.0, -6.0, -12.0], [1, 5, 8], [0.3, 0.6, 0.95]))
    stepwise.closed_form_staircase(-6.0, 5, 0.6).to_json()  # warm-up: plotly loads its templates once
    callback, with_json = [], []
    for i in range(args.repeats):
        log10_alpha, d, ratio = settings[i % len(settings)]
        start = time.perf_counter()
        fig = stepwise.closed_form_staircase(log10_alpha, d, ratio)
        middle = time.perf_counter()
        fig.to_json()
        end = time.perf_counter()
        callback.append(1000 * (middle - start))
        with_json.append(1000 * (end - start))
    for name, values in (("callback (closed form + figure)", callback), ("callback + JSON serialisation", with_json)):
        median = statistics.median(values)
        print(f"{name:34s} median {median:6.1f} ms  (max {max(values):6.1f} ms over {len(values)} calls)  "
              f"ratio to the {BUDGET_MS:.0f} ms budget: {median / BUDGET_MS:.2f}")


if __name__ == "__main__":
    main()
