"""Where a second thread starts to pay: the crossovers behind ``derand_fast._threads.SERIAL_BELOW``.

Times one smoothing call (:func:`derand_fast.smoothing.smooth`, a cheap
double-well ``g``) over ``n_samples * d`` and one MAXCUT run
(:func:`derand_fast.maxcut.maxcut`, GW and 1-flip, at most 50 SDP sweeps) over
``n + m`` of random 3-regular graphs, on 1 and on 2 threads, interleaved, and
prints the median times and their ratio. Run it alone, under the benchmark
lock, and quote the load::

    uptime; flock /tmp/derand_bench.lock python benchmarks/threads_crossover.py
"""

from __future__ import annotations

import argparse
import statistics
import time


def _pair(f1, f2, reps: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(reps):
        t = time.perf_counter()
        f1()
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        f2()
        b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="the parallel side (default 2)")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()

    import networkx as nx
    import numba
    import numpy as np

    from derand_fast.maxcut import load_graph, maxcut
    from derand_fast.smoothing import smooth

    @numba.njit
    def g(x, grad_out):
        s = 0.0
        for i in range(x.size):
            s += (x[i] * x[i] - 1.0) ** 2
            grad_out[i] = 4.0 * x[i] * (x[i] * x[i] - 1.0)
        return s

    p = args.threads
    for th in (1, p):  # compile first
        smooth(g, np.zeros(3), 0.5, n_samples=64, threads=th)
    print(f"smooth: n_samples*d  d  n_samples  t(1)  t({p})  t({p})/t(1)")
    for d, ns in [(3, 64), (10, 1024), (30, 4096), (100, 2048), (300, 4096), (1000, 4096)]:
        mu = np.zeros(d)
        t1, t2 = _pair(lambda: smooth(g, mu, 0.5, n_samples=ns, threads=1),
                       lambda: smooth(g, mu, 0.5, n_samples=ns, threads=p), args.reps)
        print(f"{d * ns:>10d} {d:>5d} {ns:>6d} {t1 * 1e3:9.3f} ms {t2 * 1e3:9.3f} ms {t2 / t1:6.2f}", flush=True)

    kw = dict(rounding="gw", n_hyperplanes=100, local_search="1flip", seed=0, max_sweeps=50)
    small = load_graph(nx.random_regular_graph(3, 20, seed=0))
    for th in (1, p):
        maxcut(small, threads=th, **kw)
    print(f"maxcut: n+m  n  t(1)  t({p})  t({p})/t(1)")
    for n in [100, 1000, 4000, 10000]:
        G = load_graph(nx.random_regular_graph(3, n, seed=0))
        t1, t2 = _pair(lambda: maxcut(G, threads=1, **kw), lambda: maxcut(G, threads=p, **kw),
                       max(3, args.reps // 5))
        print(f"{G.n + G.m:>10d} {n:>6d} {t1 * 1e3:9.1f} ms {t2 * 1e3:9.1f} ms {t2 / t1:6.2f}", flush=True)


if __name__ == "__main__":
    main()
