"""The paper's MAXCUT experiment (App. F.2, Figs. 4–5), reproduced.

A random graph (15 nodes, edge probability 0.6), its maximum cut by
exhaustive search, the Goemans–Williamson baseline from the SDP vectors, and
the ``hyperplane-mc`` method (a learned Gaussian :math:`N(m, \\sigma^2)` over
hyperplane normals; SGD with learning rates 0.01 / 0.001, :math:`\\sigma`
clipped to :math:`[10^{-3}, 1.5]`, decays every 100 iterations, 100 samples
per step, 5000 iterations). Outputs the cut value and the largest
:math:`\\sigma^2` over the iterations, as arrays and as two PNG files.

The paper embeds the nodes with "the top eigenvectors of the adjacency
matrix"; here the embedding is the GW SDP solution (the vectors GW rounding
uses), so the baseline is the classical randomized algorithm itself.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_count, check_positive
from .derand_mc import hyperplane_mc
from .graph import Graph
from .rounding import gw_rounding
from .sdp import solve_sdp

__all__ = ["F2Result", "random_graph", "exhaustive_max_cut", "run_f2"]


def random_graph(n: int, p: float, seed: int) -> Graph:
    """Erdős–Rényi :math:`G(n, p)` with unit weights (NumPy generator seeded by ``seed``)."""
    n = check_count(n, "n")
    p = check_positive(p, "p", upper=1.0)
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, k=1)
    keep = rng.random(i.size) < p
    return Graph.from_edges(n, i[keep], j[keep], name=f"G({n},{p}) seed {seed}")


def exhaustive_max_cut(graph: Graph) -> tuple[float, np.ndarray]:
    """Maximum cut and one maximizing partition by enumerating all :math:`2^{n-1}` cuts (``n <= 24``).

    Node 0 is fixed to +1 (a cut and its complement are the same cut).
    """
    n = graph.n
    if n > 24:
        raise ValueError(f"exhaustive search is limited to n <= 24 nodes, got {n}")
    if n <= 1 or graph.m == 0:
        return 0.0, np.ones(n, dtype=np.int8)
    best, best_x = -np.inf, np.ones(n, dtype=np.int8)  # replaced by the first block (its cuts are finite)
    k = min(n - 1, 16)  # enumerate the last k nodes in blocks, the first n-1-k in an outer loop
    tail = np.array(list(itertools.product((1, -1), repeat=k)), dtype=np.int8)
    for head in itertools.product((1, -1), repeat=n - 1 - k):
        X = np.empty((tail.shape[0], n), dtype=np.int8)
        X[:, 0] = 1
        X[:, 1:n - k] = head
        X[:, n - k:] = tail
        cuts = (X[:, graph.u] != X[:, graph.v]) @ graph.weights
        a = int(np.argmax(cuts))
        if cuts[a] > best:
            best, best_x = float(cuts[a]), X[a].copy()
    return best, best_x


@dataclass
class F2Result:
    """Arrays and numbers of the App. F.2 experiment.

    Attributes
    ----------
    graph : Graph
    optimum : float
        Exhaustive-search maximum cut.
    gw_expected, gw_mean, gw_best : float
        GW baseline: expectation, mean and best of 1000 hyperplanes.
    cut : float
        The derandomized cut (before polish).
    steps, cut_history, objective_history, max_sigma2 : ndarray
        Per recorded iteration: cut of :math:`\\mathrm{sgn}(Vm)`, the smoothed
        sampled cut, the largest :math:`\\sigma^2` (paper Figs. 4, 5).
    files : dict of str to Path
        The PNG (and JSON) files written.
    """

    graph: Graph
    optimum: float
    gw_expected: float
    gw_mean: float
    gw_best: float
    cut: float
    steps: np.ndarray
    cut_history: np.ndarray
    objective_history: np.ndarray
    max_sigma2: np.ndarray
    files: dict[str, Path] = field(default_factory=dict)


def run_f2(*, n: int = 15, p: float = 0.6, n_iter: int = 5000, n_samples: int = 100, graph_seed: int = 0,
           seed: int = 0, out_dir: str | Path | None = None, record_every: int = 1,
           threads: int | None = None, **options: Any) -> F2Result:
    """Run the App. F.2 experiment; write ``f2_cut.png``, ``f2_sigma.png`` and ``f2.json`` to ``out_dir``.

    Parameters
    ----------
    n, p : graph size and edge probability (paper: 15, 0.6).
    n_iter, n_samples : iterations and Monte Carlo samples per step (paper: 5000, 100).
    graph_seed, seed : seeds of the graph and of the method (SDP, hyperplanes, samples).
    out_dir : path or None
        Where to write the figures and numbers; None writes nothing.
    record_every : int
        Curve resolution.
    threads : int or None
    **options
        Further :func:`~derand_fast.maxcut.derand_mc.hyperplane_mc` options.

    Returns
    -------
    F2Result
    """
    g = random_graph(n, p, graph_seed)
    optimum, _ = exhaustive_max_cut(g)
    V = solve_sdp(g, seed=seed, threads=threads).V
    gw = gw_rounding(g, V, seed=seed, threads=threads, n_hyperplanes=1000).info
    out = hyperplane_mc(g, V, max_iter=n_iter, n_samples=n_samples, seed=seed, threads=threads,
                        record_every=record_every, **options)
    res = F2Result(graph=g, optimum=optimum, gw_expected=gw["gw_expected"], gw_mean=gw["gw_mean"],
                   gw_best=gw["gw_best"], cut=out.cut, steps=out.history["step"], cut_history=out.history["cut"],
                   objective_history=out.history["objective"], max_sigma2=out.history["max_sigma2"])
    if out_dir is not None:
        res.files = _write(res, Path(out_dir))
    return res


def _write(res: F2Result, out_dir: Path) -> dict[str, Path]:
    from .._plotting import require_matplotlib

    matplotlib = require_matplotlib("the F2 experiment's figures")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"cut": out_dir / "f2_cut.png", "sigma": out_dir / "f2_sigma.png", "json": out_dir / "f2.json"}
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(res.steps, res.cut_history, label="derandomized cut sgn(V m)")
    ax.plot(res.steps, res.objective_history, lw=0.6, alpha=0.6, label="smoothed sampled cut")
    ax.axhline(res.optimum, color="k", ls="--", label=f"optimum (exhaustive) = {res.optimum:g}")
    ax.axhline(res.gw_mean, color="r", ls=":", label=f"GW mean = {res.gw_mean:.1f}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cut value")
    ax.set_title(f"MAXCUT, n = {res.graph.n}, m = {res.graph.m} (paper Fig. 4)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(files["cut"], dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(res.steps, res.max_sigma2)
    ax.set_xlabel("iteration")
    ax.set_ylabel(r"max $\sigma^2$")
    ax.set_title("largest variance of the hyperplane distribution (paper Fig. 5)")
    fig.tight_layout()
    fig.savefig(files["sigma"], dpi=120)
    plt.close(fig)
    files["json"].write_text(json.dumps({
        "n": res.graph.n, "m": res.graph.m, "optimum": res.optimum, "gw_expected": res.gw_expected,
        "gw_mean": res.gw_mean, "gw_best": res.gw_best, "cut": res.cut, "steps": res.steps.tolist(),
        "cut_history": res.cut_history.tolist(), "max_sigma2": res.max_sigma2.tolist()}))
    return files
