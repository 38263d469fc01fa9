"""Paper Figures 6–7: the variational JL method against Gaussian random projections.

Figure 6: worst distortion of the current mean ``M`` over iterations, with the
average and the minimum worst distortion of ``n_draws`` Gaussian random
projections as horizontal lines. Figure 7: largest variance
:math:`\\max \\sigma^2` over iterations. Each figure is saved as PNG, and the
arrays behind both as ``.npz`` + ``.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .baselines import gaussian_baseline
from .objectives import make_problem
from .variational import fit_variational, paper_settings

__all__ = ["figures_6_7", "paper_points"]


def paper_points(n: int = 100, d: int = 500, *, seed: int = 0) -> np.ndarray:
    """``n`` Gaussian points in ``R^d`` normalized to unit norm (paper App. G.5), shape (n, d)."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def figures_6_7(out_dir, *, X=None, target: str = "norms", n_components: int = 30, n_draws: int = 1000,
                max_iter: int = 5000, seed: int = 0, threads: int | None = None, **variational) -> dict:
    """Run the variational method and draw Figures 6–7.

    Parameters
    ----------
    out_dir : path
        Receives ``fig6_jl_distortion.png``, ``fig7_jl_sigma.png``,
        ``fig6_7_jl.npz`` and ``fig6_7_jl.json``.
    X : ndarray, shape (n, d), or None
        Points; ``None``: :func:`paper_points` (n = 100, d = 500).
    target : {"norms", "pairwise"}
        ``"norms"`` is the paper's experiment.
    n_components, n_draws, max_iter, seed, threads
        Paper: k = 30, 1000 draws, at most 5000 iterations.
    **variational
        Further arguments of :func:`derand_fast.jl.variational.fit_variational`;
        they override the paper's settings
        (:func:`derand_fast.jl.variational.paper_settings`), which are the default here.

    Returns
    -------
    dict
        The numbers behind the figures (also written to the JSON file).
    """
    from .._plotting import require_matplotlib

    matplotlib = require_matplotlib("the JL figures")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X = paper_points(seed=seed) if X is None else X
    problem = make_problem(X, target)
    base = gaussian_baseline(problem, n_components, n_draws=n_draws, seed=seed, threads=threads)
    settings = {**paper_settings(n_components), "max_iter": max_iter, **variational}
    res = fit_variational(problem, n_components, seed=seed, threads=threads, **settings)
    h = res.history
    np.savez(out / "fig6_7_jl.npz", step=h["step"], max_distortion=h["max_distortion"],
             max_sigma2=h["max_sigma2"], gaussian_max_distortions=base.max_distortions)
    summary = {"target": target, "n_components": n_components, "n_points": int(np.shape(X)[0]),
               "n_features": int(np.shape(X)[1]), "n_draws": n_draws, "gaussian_mean": base.mean,
               "gaussian_min": base.min, "final_mean_max_distortion": float(h["max_distortion"][-1]),
               "polished_max_distortion": res.max_distortion, "iterations": int(res.nit),
               "status": res.status.name.lower()}
    (out / "fig6_7_jl.json").write_text(json.dumps(summary, indent=2))

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(h["step"], h["max_distortion"], label="learned mean M")
    ax.axhline(base.mean, color="C1", ls="--", label=f"Gaussian, average of {n_draws}")
    ax.axhline(base.min, color="C2", ls=":", label=f"Gaussian, best of {n_draws}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("max distortion")
    ax.set_yscale("log")
    ax.set_title(f"Fig. 6: JL {target}, k = {n_components}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "fig6_jl_distortion.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(h["step"], h["max_sigma2"])
    ax.set_xlabel("iteration")
    ax.set_ylabel(r"max $\sigma^2$")
    ax.set_yscale("log")
    ax.set_title("Fig. 7: largest variance")
    fig.tight_layout()
    fig.savefig(out / "fig7_jl_sigma.png", dpi=120)
    plt.close(fig)
    return summary
