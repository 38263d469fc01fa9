"""Long target runs of structure discovery (paper §4.3, App. E); prints the numbers quoted in the report.

Not collected by pytest (no ``test_`` prefix). Usage::

    python benchmarks/nn_runs.py fig3 --out nn_runs_out          # paper Fig. 3, lambda = 1e-5
    python benchmarks/nn_runs.py fig3 --lam 1e-3 --out ...        # same with a larger regularizer
    python benchmarks/nn_runs.py d50 --out ...                    # d = 50, k = 2, h = 512
    python benchmarks/nn_runs.py speed                            # one step h=1000, d=50, batch 4096

Each training run is done twice, biases trained (paper) and frozen, with
identical data, initialisation and optimizer (App. E PGD, lr 1); online data
(fresh samples every step).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derand_fast._threads import thread_scope  # noqa: E402
from derand_fast.nn.experiment import default_teacher, plot_metrics, reproduce_fig3  # noqa: E402
from derand_fast.nn.student import TwoLayerStudent, init_student  # noqa: E402
from derand_fast.nn.teachers import single_index_teacher  # noqa: E402
from derand_fast.nn.train import train_student  # noqa: E402


def _curve(res, every: int) -> list[tuple[int, float]]:
    st, ra = res.history["step"], res.history["ratio"]
    return [(int(s), float(r)) for s, r in zip(st, ra) if s % every == 0 or s == st[-1]]


def _print_run(label: str, res) -> None:
    c = res.certificate
    print(f"  {label}: status {res.status}, {res.seconds:.1f} s wall / {res.cpu_seconds:.1f} s CPU, "
          f"final ratio {res.metrics['ratio']:.4e}, "
          f"|W_perp|_F {res.metrics['perp_norm']:.4e}, |W|_F {res.metrics['w_norm']:.4e}, "
          f"max angle {res.metrics['max_angle_deg']:.3f} deg, loss {res.history['fun'][-1]:.4e}")
    if c is not None:
        print(f"    certificate: grad_norm {c.grad_norm:.3e}, lambda_min {c.lambda_min:.3e}, "
              f"Lemma-3.1 bound {res.perp_bound:.3e}")
    print("    ratio curve:", ", ".join(f"{s}:{r:.3e}" for s, r in _curve(res, 1000)))


def run_fig3(args) -> None:
    out = Path(args.out) / f"fig3_lam{args.lam:g}"
    t0 = time.perf_counter()
    summary = reproduce_fig3(out, h=1000, d=2, steps=args.steps, batch_size=args.batch, lam=args.lam,
                             seed=args.seed, threads=args.threads, history_every=50, progress=False)
    print(f"Fig. 3: h=1000, d=2, T={args.steps}, batch {args.batch} online, lambda={args.lam:g} "
          f"(wall {time.perf_counter() - t0:.1f} s incl. certificates); files {summary['files']}")
    for label, res in summary["runs"].items():
        _print_run(label, res)


def run_d50(args) -> None:
    out = Path(args.out) / f"d50_k2_lam{args.lam:g}"
    out.mkdir(parents=True, exist_ok=True)
    teacher = default_teacher(50, 2, seed=args.seed)
    runs = {}
    for label, trainable in (("biases trained", ("W", "b")), ("biases frozen", ("W",))):
        student = TwoLayerStudent(lam=args.lam, trainable=trainable, threads=args.threads)
        runs[label] = train_student(teacher, h=512, student=student, max_iter=args.steps, batch_size=args.batch,
                                    seed=args.seed, history_every=50, threads=args.threads, cert_samples=2048)
    png = plot_metrics(runs, out / "d50_metrics.png",
                       title=f"d=50, k=2, h=512, batch {args.batch}, lambda={args.lam:g}")
    print(f"d=50, k=2 (tanh(z1)+tanh(z2)), h=512, T={args.steps}, batch {args.batch} online, "
          f"lambda={args.lam:g}; plot {png}")
    data = {}
    for label, res in runs.items():
        _print_run(label, res)
        r = res.history["ratio"]
        tail = r[len(r) // 10:]
        print(f"    ratio monotone after 10% of the run: {bool(np.all(np.diff(tail) <= 0))}; "
              f"max increase {float(np.max(np.diff(tail), initial=0.0)):.2e}")
        data[label] = {"step": res.history["step"].tolist(), "ratio": r.tolist(),
                       "perp_norm": res.history["perp_norm"].tolist(), "seconds": res.seconds,
                       "final_ratio": res.metrics["ratio"]}
    (out / "d50.json").write_text(json.dumps(data))


def run_speed(args) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from test_bench_nn import numpy_step, package_step

    h, d, n = 1000, 50, 4096
    params = init_student(d, h, seed=0)
    X, y = single_index_teacher(d, seed=1).sample(n)

    def best(f, reps):
        """Minimum and median wall time, and minimum CPU time (all threads) of ``reps`` calls."""
        wall, cpu = [], []
        for _ in range(reps):
            c = time.process_time()
            t = time.perf_counter()
            f()
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        return min(wall), float(np.median(wall)), min(cpu)

    with thread_scope(1):
        numpy_step(params["W"], params["b"], params["a"], X, y)
        t_np = best(lambda: numpy_step(params["W"], params["b"], params["a"], X, y), args.reps)
    print(f"step h={h} d={d} batch={n}; numpy (BLAS 1 thread): wall min {t_np[0] * 1e3:.1f} ms, median "
          f"{t_np[1] * 1e3:.1f} ms, CPU min {t_np[2] * 1e3:.1f} ms")
    for threads in (1, None):
        student = TwoLayerStudent(threads=threads)
        package_step(student, params, X, y)
        t_pk = best(lambda: package_step(student, params, X, y), args.reps)
        print(f"  package threads={threads}: wall min {t_pk[0] * 1e3:.1f} ms, median {t_pk[1] * 1e3:.1f} ms, "
              f"CPU min {t_pk[2] * 1e3:.1f} ms; speed-up wall (min) {t_np[0] / t_pk[0]:.2f}x, "
              f"(median) {t_np[1] / t_pk[1]:.2f}x, CPU (min) {t_np[2] / t_pk[2]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=["fig3", "d50", "speed"])
    ap.add_argument("--out", default="nn_runs_out")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lam", type=float, default=1e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    {"fig3": run_fig3, "d50": run_d50, "speed": run_speed}[args.which](args)


if __name__ == "__main__":
    main()
