"""Structured empirical NTK of the two-layer net vs neural_tangents' Jacobian contraction.

Times ``kernels.empirical_ntk_two_layer`` (O(n^2 M d^2), no Jacobian) against ``neural_tangents.empirical_ntk_fn``
on the same network and inputs, in float64: once as the library calls it (``kernels.nt_empirical_ntk``) and once
wrapped in ``jax.jit`` (neural_tangents at its fastest). Each time is the median of a few repeats after a warm-up
call that compiles. Prints the times, the speed-up (requirement: at least 10x) and the relative Frobenius
difference of the kernels (requirement: at most 1e-6). Asserts nothing: timings on shared machines are noisy.

    .venv/bin/python benchmarks/ntk.py                       # 128 digit pairs (256 points), width 4096, d = 3
    .venv/bin/python benchmarks/ntk.py --pairs 32 --width 1024
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp

# float64: the two kernels are compared at float64 round-off (the requirement is 1e-6 relative)
jax.config.update("jax_enable_x64", True)

from kernel_ssl import data, kernels, models  # noqa: E402

REQUIRED_SPEEDUP = 10.0
REQUIRED_AGREEMENT = 1e-6


def median_time(fn: Callable[[], jax.Array], repeats: int) -> tuple[float, float, jax.Array]:
    """Warm-up call (compiles; its time is returned too), then the median wall time of ``repeats`` calls."""
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times), first, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=128, help="digit pairs; the kernel is on 2 * pairs points")
    parser.add_argument("--width", type=int, default=4096, help="hidden width M")
    parser.add_argument("--output-dim", type=int, default=3, help="embedding dimension d")
    parser.add_argument("--activation", default="relu", choices=models.ACTIVATIONS)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls after the warm-up")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    k_data, k_init = jax.random.split(jax.random.PRNGKey(args.seed))
    x, x_prime, _ = data.digits_pairs(k_data, args.pairs)
    xs = data.stack_views(x, x_prime)
    params = models.init_two_layer(k_init, xs.shape[1], args.width, args.output_dim, dtype=xs.dtype)
    n, d = xs.shape[0], args.output_dim
    print(f"empirical NTK of the two-layer net: {n} points (2 x {args.pairs} digit views, dim {xs.shape[1]}), "
          f"width {args.width}, output dim {d}, {args.activation}, {xs.dtype}; kernel shape ({n}, {n}, {d}, {d})")
    print(f"median of {args.repeats} calls after a warm-up call; {jax.device_count()} {jax.default_backend()} "
          "device(s)\n")

    structured = lambda: kernels.empirical_ntk_two_layer(params, xs, xs, args.activation)  # noqa: E731
    t_ours, c_ours, k_ours = median_time(structured, args.repeats)

    library_nt = lambda: kernels.nt_empirical_ntk(params, xs, xs, args.activation)  # noqa: E731
    t_nt, c_nt, k_nt = median_time(library_nt, args.repeats)

    nt = kernels.import_neural_tangents()
    _, apply_fn, _ = models.stax_two_layer(args.width, d, args.activation)
    jitted = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0))
    stax_params = models.to_stax_params(params)
    t_jit, c_jit, k_jit = median_time(lambda: jitted(xs, xs, stax_params), args.repeats)

    rows = [("structured (kernels.empirical_ntk_two_layer)", t_ours, c_ours, None),
            ("neural_tangents, as the library calls it", t_nt, c_nt, k_nt),
            ("neural_tangents, jax.jit(empirical_ntk_fn)", t_jit, c_jit, k_jit)]
    print(f"{'method':<46} {'median s':>10} {'first call s':>13} {'speed-up':>9} {'rel. diff.':>11}")
    for name, t, first, kern in rows:
        speedup = "" if kern is None else f"{t / t_ours:8.1f}x"
        diff = "" if kern is None else f"{kernels.relative_frobenius_error(k_ours, kern):.1e}"
        print(f"{name:<46} {t:>10.4f} {first:>13.3f} {speedup:>9} {diff:>11}")
    worst_speedup = min(t_nt, t_jit) / t_ours
    worst_diff = max(kernels.relative_frobenius_error(k_ours, k) for k in (k_nt, k_jit))
    print(f"\nspeed-up over the faster neural_tangents call: {worst_speedup:.1f}x "
          f"(requirement: at least {REQUIRED_SPEEDUP:g}x) -> {'met' if worst_speedup >= REQUIRED_SPEEDUP else 'NOT met'}")
    print(f"largest relative Frobenius difference: {worst_diff:.1e} "
          f"(requirement: at most {REQUIRED_AGREEMENT:g}) -> {'met' if worst_diff <= REQUIRED_AGREEMENT else 'NOT met'}")
    print(f"peak resident memory of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
