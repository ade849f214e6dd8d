"""Structured empirical NTK of the two-layer net vs neural_tangents' Jacobian contraction.

Times ``kernels.empirical_ntk_two_layer`` (O(n^2 M d^2), no Jacobian) against ``neural_tangents.empirical_ntk_fn``
on the same network and inputs, in float64: once as the library calls it (``nt.nt_empirical_ntk``) and once
wrapped in ``jax.jit`` (neural_tangents at its fastest). Each time is the median of a few repeats after a warm-up
call that compiles. Prints the times, the speed-up (requirement: at least 10x) and the relative Frobenius
difference of the kernels (requirement: at most 1e-6). Then measures how close the kernel runs to the machine's
limit: a float64 XLA matrix multiply (``jax.jit(jnp.matmul)``) of two distinct random matrices of the shapes
(n, M) @ (M, n) and (n d, M) @ (M, n d), timed interleaved with the kernel (min and median of ``--rate-repeats``
rounds after a warm-up), and the kernel's rate as a fraction of the faster GEMM's (requirement: at least 60 %),
counting the floating-point operations of the minimal algorithm: n^2 M (2 + d (d + 1)) (the read-out term, one
n x n x M product, and the d (d + 1) / 2 distinct blocks a <= b of the symmetric d x d hidden term). Numpy's
``a @ a.T`` takes a half-work symmetric path, hence two distinct matrices. Asserts nothing: timings on shared
machines are noisy.

    .venv/bin/python benchmarks/ntk.py                       # 128 digit pairs (256 points), width 4096, d = 3
    .venv/bin/python benchmarks/ntk.py --pairs 32 --width 1024
    .venv/bin/python benchmarks/ntk.py --rate-only --rate-repeats 21  # the GEMM-rate comparison alone (seconds)
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

from kernel_ssl import data, kernels, linalg, models, nt  # noqa: E402

REQUIRED_SPEEDUP = 10.0
REQUIRED_AGREEMENT = 1e-6
REQUIRED_GEMM_FRACTION = 0.60


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


def interleaved_times(fns: dict[str, Callable[[], jax.Array]], repeats: int) -> dict[str, list[float]]:
    """One warm-up call of each, then ``repeats`` rounds calling each once: wall times per name. Interleaving puts
    the kernel and the GEMMs under the same load of a shared machine."""
    for fn in fns.values():
        jax.block_until_ready(fn())
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(fn())
            times[name].append(time.perf_counter() - start)
    return times


def gemm_rate_report(structured: Callable[[], jax.Array], n: int, width: int, d: int, repeats: int) -> None:
    """The kernel's rate (minimal flop count) as a fraction of a float64 XLA GEMM's, measured in this run."""
    matmul = jax.jit(jnp.matmul)
    keys = jax.random.split(jax.random.PRNGKey(1), 4)
    shapes = {f"GEMM ({n}, {width}) @ ({width}, {n})": (n, width, n),
              f"GEMM ({n * d}, {width}) @ ({width}, {n * d})": (n * d, width, n * d)}
    fns, flops = {}, {}
    for i, (name, (p, k, q)) in enumerate(shapes.items()):
        # two distinct matrices: a @ a.T could take a half-work symmetric path
        a = jax.random.normal(keys[2 * i], (p, k), jnp.float64)
        b = jax.random.normal(keys[2 * i + 1], (k, q), jnp.float64)
        fns[name], flops[name] = (lambda a=a, b=b: matmul(a, b)), 2 * p * k * q
    kernel_name = "structured kernel"
    fns[kernel_name], flops[kernel_name] = structured, n * n * width * (2 + d * (d + 1))
    times = interleaved_times(fns, repeats)
    print(f"\nrate against a float64 XLA GEMM (jax.jit(jnp.matmul), distinct random matrices), {repeats} interleaved "
          f"rounds after a warm-up;\nkernel counted at its minimal n^2 M (2 + d(d+1)) = {flops[kernel_name] / 1e9:.3f} "
          "GFLOP")
    print(f"{'':<36} {'min s':>9} {'median s':>9} {'GFLOP/s (best)':>15} {'GFLOP/s (median)':>17}")
    rates = {}
    for name, ts in times.items():
        best, med = min(ts), statistics.median(ts)
        rates[name] = (flops[name] / best / 1e9, flops[name] / med / 1e9)
        print(f"{name:<36} {best:>9.4f} {med:>9.4f} {rates[name][0]:>15.2f} {rates[name][1]:>17.2f}")
    reference = max(shapes, key=lambda name: rates[name][1])  # the faster GEMM: the stricter baseline
    best_fraction = rates[kernel_name][0] / rates[reference][0]
    median_fraction = rates[kernel_name][1] / rates[reference][1]
    print(f"kernel rate as a fraction of the faster GEMM ({reference}): {100 * best_fraction:.0f} % (best times), "
          f"{100 * median_fraction:.0f} % (median times) (requirement: at least {100 * REQUIRED_GEMM_FRACTION:.0f} %) "
          f"-> {'met' if median_fraction >= REQUIRED_GEMM_FRACTION else 'NOT met'} (on the median)")


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
    parser.add_argument("--rate-repeats", type=int, default=7,
                        help="interleaved rounds of the kernel and the GEMMs for the rate comparison")
    parser.add_argument("--rate-only", action="store_true",
                        help="skip the neural_tangents timings (minutes) and measure only the rate against a GEMM")
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
    if not args.rate_only:
        compare_with_neural_tangents(structured, params, xs, args)
    gemm_rate_report(structured, n, args.width, d, args.rate_repeats)
    print(f"peak resident memory of this process: {peak_rss_mb():.0f} MB")


def compare_with_neural_tangents(structured: Callable[[], jax.Array], params: models.Params, xs: jax.Array,
                                 args: argparse.Namespace) -> None:
    """Times and kernels of the structured NTK and of neural_tangents' (as the library calls it, and jitted)."""
    d = args.output_dim
    t_ours, c_ours, k_ours = median_time(structured, args.repeats)

    library_nt = lambda: nt.nt_empirical_ntk(params, xs, xs, args.activation)  # noqa: E731
    t_nt, c_nt, k_nt = median_time(library_nt, args.repeats)

    neural_tangents = nt.import_neural_tangents()
    _, apply_fn, _ = nt.stax_two_layer(args.width, d, args.activation)
    jitted = jax.jit(neural_tangents.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0))
    stax_params = nt.to_stax_params(params)
    t_jit, c_jit, k_jit = median_time(lambda: jitted(xs, xs, stax_params), args.repeats)

    rows = [("structured (kernels.empirical_ntk_two_layer)", t_ours, c_ours, None),
            ("neural_tangents, as the library calls it", t_nt, c_nt, k_nt),
            ("neural_tangents, jax.jit(empirical_ntk_fn)", t_jit, c_jit, k_jit)]
    print(f"{'method':<46} {'median s':>10} {'first call s':>13} {'speed-up':>9} {'rel. diff.':>11}")
    for name, t, first, kern in rows:
        speedup = "" if kern is None else f"{t / t_ours:8.1f}x"
        diff = "" if kern is None else f"{linalg.relative_frobenius_error(k_ours, kern):.1e}"
        print(f"{name:<46} {t:>10.4f} {first:>13.3f} {speedup:>9} {diff:>11}")
    worst_speedup = min(t_nt, t_jit) / t_ours
    worst_diff = max(linalg.relative_frobenius_error(k_ours, k) for k in (k_nt, k_jit))
    print(f"\nspeed-up over the faster neural_tangents call: {worst_speedup:.1f}x "
          f"(requirement: at least {REQUIRED_SPEEDUP:g}x) -> "
          f"{'met' if worst_speedup >= REQUIRED_SPEEDUP else 'NOT met'}")
    print(f"largest relative Frobenius difference: {worst_diff:.1e} "
          f"(requirement: at most {REQUIRED_AGREEMENT:g}) -> "
          f"{'met' if worst_diff <= REQUIRED_AGREEMENT else 'NOT met'}")


if __name__ == "__main__":
    main()
