"""Experiment runner for structure discovery: parameter grids and the Fig. 3 reproduction (paper §4.3).

:func:`run_grid` trains one student per point of a ``(d, k, h, λ, n, biases)``
grid and returns a tidy table (a list of dicts, one row per run).
:func:`reproduce_fig3` runs the paper's Fig. 3 setting (d = 2, h = 1000,
T = 10 000, App. E) and writes the PNG files: the rows of ``W`` in the plane
before and after training, and :math:`\\|W_\\perp\\|_F`,
:math:`\\|W_\\perp\\|_F/\\|W\\|_F` over the steps — optionally next to the same
run with the biases frozen (paper §1, "Importance of training the biases").
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..random import STREAMS, standard_normal
from .student import TwoLayerStudent, init_student
from .teachers import MultiIndexTeacher, single_index_teacher
from .train import TrainResult, train_student

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["additive_tanh_link", "additive_tanh_link_grad", "default_teacher", "run_grid", "reproduce_fig3",
           "plot_weights", "plot_metrics"]

_TEACHER_STREAM = STREAMS["nn.teacher"].first  # 2^50


def additive_tanh_link(z: np.ndarray) -> np.ndarray:
    """Default multi-index link :math:`h(z) = \\sum_{i=1}^k \\tanh(z_i)` (k = 1: the paper's tanh)."""
    return np.tanh(z).sum(axis=1)


def additive_tanh_link_grad(z: np.ndarray) -> np.ndarray:
    """Gradient of :func:`additive_tanh_link` at each row of ``z``: :math:`1 - \\tanh^2(z_i)`."""
    return 1.0 - np.tanh(z) ** 2


def default_teacher(d: int, k: int = 1, *, link: Callable[[np.ndarray], np.ndarray] | None = None,
                    link_grad: Callable[[np.ndarray], np.ndarray] | None = None, noise_std: float = 0.1,
                    seed: int = 0) -> MultiIndexTeacher:
    """Teacher of the grid runs: k = 1 is the paper's :math:`\\tanh(\\theta\\cdot x)`,
    :math:`\\theta = (1,\\dots,1)/\\sqrt d`; k >= 2 uses a seeded random orthonormal
    ``U`` (k, d) and ``link`` (default :func:`additive_tanh_link`, with its gradient;
    a custom ``link`` takes ``link_grad``, see :class:`~derand_fast.nn.teachers.MultiIndexTeacher`)."""
    if k == 1 and link is None:
        return single_index_teacher(d, noise_std=noise_std, seed=seed)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= d:
        raise ValueError(f"k must be an int with 1 <= k <= d = {d}, got {k!r}")
    g = standard_normal(seed, int(k), int(d), first_stream=_TEACHER_STREAM)
    q, r = np.linalg.qr(g.T)
    U = (q * np.sign(np.diag(r))).T
    if link is None:
        link, link_grad = additive_tanh_link, additive_tanh_link_grad
    return MultiIndexTeacher(U, link, link_grad=link_grad, noise_std=noise_std, seed=seed)


def _row(res: TrainResult, params: Mapping[str, Any]) -> dict[str, Any]:
    cert = res.certificate
    return {
        **params,
        "status": str(res.status),
        "nit": res.nit,
        "final_loss": float(res.history["fun"][-1]) if res.history["fun"].size else math.nan,
        "initial_ratio": res.initial_metrics["ratio"],
        "perp_norm": res.metrics["perp_norm"],
        "w_norm": res.metrics["w_norm"],
        "ratio": res.metrics["ratio"],
        "max_angle_deg": res.metrics["max_angle_deg"],
        "grad_norm": cert.grad_norm if cert is not None else math.nan,
        "lambda_min": cert.lambda_min if cert is not None else math.nan,
        "perp_bound": res.perp_bound,
        "seconds": res.seconds,
        "cpu_seconds": res.cpu_seconds,
    }


def run_grid(*, d: Sequence[int] = (2,), k: Sequence[int] = (1,), h: Sequence[int] = (1000,),
             lam: Sequence[float] = (1e-5,), n: Sequence[int] = (1024,), train_biases: Sequence[bool] = (True,),
             online: bool = True, steps: int = 10_000, activation: str = "relu_iota", optimizer: str = "pgd",
             link: Callable[[np.ndarray], np.ndarray] | None = None, seed: int = 0, certificate: bool = True,
             threads: int | None = None, return_results: bool = False,
             **train_kwargs: Any) -> list[dict[str, Any]] | tuple[list[dict[str, Any]], list[TrainResult]]:
    """Train one student per grid point; return one table row per run.

    Parameters
    ----------
    d, k, h, lam, n : sequences
        Input dimension, teacher rank, width, regularization λ, batch / sample size.
    train_biases : sequence of bool
        ``True`` trains ``(W, b)`` (paper), ``False`` trains ``W`` only (biases frozen).
    online, steps, optimizer, seed, threads : see :func:`~derand_fast.nn.train.train_student`
    activation : {"relu_iota", "tanh", "gelu"}
    link : callable or None
        Teacher link for k >= 2 (see :func:`default_teacher`).
    certificate : bool
    return_results : bool
        Also return the :class:`~derand_fast.nn.train.TrainResult` of every run.
    **train_kwargs
        Passed to :func:`~derand_fast.nn.train.train_student` (``cert_samples``, ``time_limit``...).

    Returns
    -------
    rows : list of dict
        Keys: ``d, k, h, lam, n, train_biases, online, activation, optimizer, steps,
        seed, status, nit, final_loss, initial_ratio, perp_norm, w_norm, ratio,
        max_angle_deg, grad_norm, lambda_min, perp_bound, seconds, cpu_seconds``.
    results : list of TrainResult (only with ``return_results=True``)

    Examples
    --------
    >>> rows = run_grid(d=[2], h=[16], n=[64], train_biases=[True, False], steps=10, certificate=False)
    >>> [(r["train_biases"], r["status"]) for r in rows]
    [(True, 'max_iter'), (False, 'max_iter')]
    """
    rows: list[dict[str, Any]] = []
    results: list[TrainResult] = []
    for d_, k_, h_, lam_, n_, tb in itertools.product(d, k, h, lam, n, train_biases):
        teacher = default_teacher(int(d_), int(k_), link=link, seed=seed)
        student = TwoLayerStudent(activation=activation, lam=float(lam_),
                                  trainable=("W", "b") if tb else ("W",), threads=threads)
        res = train_student(teacher, h=int(h_), student=student, optimizer=optimizer, max_iter=steps,
                            batch_size=int(n_), online=online, seed=seed, certificate=certificate,
                            threads=threads, **train_kwargs)
        rows.append(_row(res, {"d": int(d_), "k": int(k_), "h": int(h_), "lam": float(lam_), "n": int(n_),
                               "train_biases": bool(tb), "online": bool(online), "activation": activation,
                               "optimizer": optimizer, "steps": int(steps), "seed": int(seed)}))
        results.append(res)
    return (rows, results) if return_results else rows


def _figure(**kwargs: Any) -> Figure:
    from .._plotting import require_matplotlib

    require_matplotlib("the Fig. 3 writers (plot_weights, plot_metrics)")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _save(fig: Figure, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120)
    return path


def plot_weights(W0: np.ndarray, W1: np.ndarray, U: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Fig. 3 panel: rows of ``W`` (h, 2) in the plane at initialisation and after training,
    with the teacher direction ``U`` (1, 2)."""
    W0, W1, U = (np.asarray(a, dtype=np.float64) for a in (W0, W1, U))
    if W0.ndim != 2 or W0.shape[1] != 2 or W1.shape != W0.shape:
        raise ValueError(f"W0 and W1 must both have shape (h, 2), got {W0.shape} and {W1.shape}")
    fig = _figure(figsize=(9, 4.2))
    for ax, W, name in ((fig.add_subplot(1, 2, 1), W0, "initialisation"), (fig.add_subplot(1, 2, 2), W1, "trained")):
        ax.scatter(W[:, 0], W[:, 1], s=4, alpha=0.6)
        r = 1.1 * float(np.abs(W).max()) if W.size else 1.0
        for u in U:
            ax.plot([-r * u[0], r * u[0]], [-r * u[1], r * u[1]], "r--", lw=1, label="span(U)")
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
        ax.set_aspect("equal")
        ax.set_title(f"rows of W, {name}")
        ax.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, Path(path))


def plot_metrics(runs: Mapping[str, TrainResult], path: str | Path, *, title: str = "") -> Path:
    """:math:`\\|W_\\perp\\|_F` and :math:`\\|W_\\perp\\|_F/\\|W\\|_F` over the steps, one curve per labelled run."""
    fig = _figure(figsize=(9, 4))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for label, res in runs.items():
        ax1.semilogy(res.history["step"], res.history["perp_norm"], label=label)
        ax2.semilogy(res.history["step"], res.history["ratio"], label=label)
    ax1.set_ylabel(r"$\|W_\perp\|_F$")
    ax2.set_ylabel(r"$\|W_\perp\|_F / \|W\|_F$")
    for ax in (ax1, ax2):
        ax.set_xlabel("step")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, Path(path))


def reproduce_fig3(outdir: str | Path, *, h: int = 1000, d: int = 2, steps: int = 10_000, batch_size: int = 256,
                   online: bool = True, lam: float = 1e-5, seed: int = 0, compare_frozen_biases: bool = True,
                   certificate: bool = True, threads: int | None = None, history_every: int = 50,
                   progress: bool | Callable | None = None) -> dict[str, Any]:
    """Paper Fig. 3 in one call: train, write ``fig3_weights.png``, ``fig3_metrics.png`` and ``fig3.json``.

    Setting of App. E: teacher :math:`\\tanh(\\theta\\cdot x) + N(0, 0.1^2)`,
    :math:`\\theta = (1,1)/\\sqrt2`; student :math:`a^\\top\\mathrm{ReLU}_2(Wx+b)`
    with W, b trained and a frozen; PGD with lr 1, noise :math:`0.005\\,N(0,I)`
    below gradient norm :math:`10^{-6}`; λ = 1e-5; T = 10 000. The paper does not
    state the sample size: here ``batch_size`` fresh samples per step (online,
    default) or a fixed sample of that size.

    Parameters
    ----------
    outdir : path
        Created if missing.
    h, d, steps, batch_size, online, lam, seed, threads, history_every, progress
        See :func:`~derand_fast.nn.train.train_student`.
    compare_frozen_biases : bool
        Also run the identical setting with ``b`` frozen and plot both curves.
    certificate : bool

    Returns
    -------
    dict
        The numbers written to ``fig3.json``: per run (``"biases_trained"``,
        ``"biases_frozen"``) the final ``ratio``, ``perp_norm``, ``w_norm``,
        ``max_angle_deg``, ``status``, ``seconds``, certificate fields; the
        settings; and ``files``.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    teacher = single_index_teacher(d, seed=seed)
    runs: dict[str, TrainResult] = {}
    variants = [("biases_trained", ("W", "b"))] + ([("biases_frozen", ("W",))] if compare_frozen_biases else [])
    for label, trainable in variants:
        student = TwoLayerStudent(lam=lam, trainable=trainable, threads=threads)
        runs[label] = train_student(teacher, h=h, student=student, max_iter=steps, batch_size=batch_size, online=online,
                                    seed=seed, certificate=certificate, history_every=history_every,
                                    threads=threads, progress=progress)
    main = runs["biases_trained"]
    files = []
    if d == 2:
        files.append(str(plot_weights(init_student(d, h, seed=seed)["W"], main.params["W"], teacher.U_,
                                      out / "fig3_weights.png",
                                      title=f"h = {h}, d = {d}, T = {steps}: ratio {main.metrics['ratio']:.2e}")))
    files.append(str(plot_metrics({k.replace("_", " "): v for k, v in runs.items()}, out / "fig3_metrics.png",
                                  title=f"h = {h}, d = {d}, batch {batch_size} ({'online' if online else 'fixed'})")))
    summary: dict[str, Any] = {
        "settings": {"h": h, "d": d, "steps": steps, "batch_size": batch_size, "online": online, "lam": lam,
                     "seed": seed, "noise_std": teacher.noise_std, "optimizer": "PerturbedGD lr 1, r 0.005, g 1e-6"},
        "files": files,
    }
    for label, res in runs.items():
        cert = res.certificate
        summary[label] = {
            "status": str(res.status), "nit": res.nit, "seconds": res.seconds, "cpu_seconds": res.cpu_seconds,
            "ratio": res.metrics["ratio"], "perp_norm": res.metrics["perp_norm"], "w_norm": res.metrics["w_norm"],
            "max_angle_deg": res.metrics["max_angle_deg"], "initial_ratio": res.initial_metrics["ratio"],
            "final_loss": float(res.history["fun"][-1]),
            "grad_norm": cert.grad_norm if cert else None, "lambda_min": cert.lambda_min if cert else None,
            "perp_bound": res.perp_bound if math.isfinite(res.perp_bound) else None,
            "history": {"step": res.history["step"].tolist(), "ratio": res.history["ratio"].tolist(),
                        "perp_norm": res.history["perp_norm"].tolist()},
        }
    (out / "fig3.json").write_text(json.dumps(summary, indent=1))
    summary["runs"] = runs
    return summary
