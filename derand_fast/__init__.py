"""derand_fast: the derandomization framework, fast.

Optimize the parameters of a Gaussian instead of sampling from it, until the
randomness is gone: large-graph MAXCUT, learned Johnson–Lindenstrauss
projections and structure discovery in neural networks on one engine.

Layers
------
- :mod:`derand_fast.indicators` — smoothed indicators (paper App. F.1, G.3, §4.2).
- :mod:`derand_fast.random` — counter-based normals, identical for any thread count.
- :mod:`derand_fast.smoothing` — Gaussian-smoothing estimators (value, gradients, curvature).
- :mod:`derand_fast.optimizers`, :mod:`derand_fast.certificate` — PGD, Hessian descent,
  SGD, Adam and the ρ-SOSP certificate; :mod:`derand_fast.derandomize` — the generic entry point.
- Applications: :mod:`derand_fast.maxcut`, :mod:`derand_fast.jl`, :mod:`derand_fast.nn`,
  the toy example :mod:`derand_fast.toy`, and :mod:`derand_fast.reproduce`.

Names are imported on first use (PEP 562), so ``import derand_fast`` and the
``derand-fast`` command start quickly.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("derand_fast")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0.0.0"

from ._numba_cache import ensure_cache_dir

ensure_cache_dir()  # a read-only install without a writable HOME still imports (Numba caches in a temp folder)

# The package logs under "derand_fast" (stage starts and ends, statuses, warnings) and configures nothing:
# the application decides where records go.
logging.getLogger(__name__).addHandler(logging.NullHandler())

#: public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["step_eps", "edge_indicator", "jl_indicator", "relu_iota"], "indicators"),
    **dict.fromkeys(["standard_normal"], "random"),
    **dict.fromkeys(["smooth", "smooth_affine", "smooth_hvp", "smooth_lambda_min", "sampled_hessian",
                     "SmoothingEstimate", "AffineEstimate", "SampledHessian"], "smoothing"),
    **dict.fromkeys(["PerturbedGD", "HessianDescent", "SGD", "Adam", "OptimizeResult"], "optimizers"),
    **dict.fromkeys(["SOSPCertificate", "lambda_min", "lemma31_bound", "sosp_certificate"], "certificate"),
    **dict.fromkeys(["derandomize", "derandomize_affine", "DerandomizeResult"], "derandomize"),
    **dict.fromkeys(["toy_curves", "toy_minimizer", "toy_objective", "plot_toy_figures"], "toy"),
    # the pipeline itself is ``derand_fast.maxcut.maxcut`` (the name ``maxcut`` is the subpackage)
    **dict.fromkeys(["load_graph", "Graph", "MaxCutResult", "solve_sdp", "SDPResult",
                     "gw_rounding", "cut_value", "cut_values", "local_search", "tabu_search",
                     "TabuResult"], "maxcut"),
    **dict.fromkeys(["JLEmbedding"], "jl"),
    **dict.fromkeys(["solve_ising", "solve_qubo", "IsingResult", "read_qubo", "read_ising"], "ising"),
    **dict.fromkeys(["RunControl", "Status"], "runcontrol"),
    **dict.fromkeys(["train_student", "reproduce_fig3"], "nn"),
}
_SUBPACKAGES = ("maxcut", "jl", "nn", "reproduce", "indicators", "random", "smoothing", "optimizers",
                "certificate", "derandomize", "toy", "ising", "runcontrol")

__all__ = ["__version__", *sorted(_EXPORTS), "maxcut", "jl", "nn"]
__all__ = list(dict.fromkeys(__all__))


def __getattr__(name: str) -> Any:
    if name == "OptimizeStatus":  # deprecated (optimizers warns), not in __all__ so that import * stays quiet
        return importlib.import_module(".optimizers", __name__).OptimizeStatus
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBPACKAGES))
