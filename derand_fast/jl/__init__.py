"""Learned Johnson–Lindenstrauss embeddings (paper §5.2, App. G).

:class:`JLEmbedding` is the scikit-learn estimator; underneath,
:func:`fit_variational` (the paper's method), :func:`fit_direct` (deterministic
L-BFGS on the smooth worst case), the objectives of
:mod:`derand_fast.jl.objectives`, the baselines and Figures 6–7.
"""

from .baselines import GaussianBaseline, gaussian_baseline, gaussian_projection, pca_projection
from .direct import DirectResult, fit_direct, polish
from .estimator import JLEmbedding
from .figures import figures_6_7, paper_points
from .objectives import (
    DegenerateConstraintWarning,
    JLProblem,
    MCEstimate,
    distortions,
    make_problem,
    max_distortion,
    mc_objective,
    objective,
)
from .variational import VariationalResult, fit_variational, paper_settings

__all__ = [
    "DegenerateConstraintWarning",
    "DirectResult",
    "GaussianBaseline",
    "JLEmbedding",
    "JLProblem",
    "MCEstimate",
    "VariationalResult",
    "distortions",
    "figures_6_7",
    "fit_direct",
    "fit_variational",
    "gaussian_baseline",
    "gaussian_projection",
    "make_problem",
    "max_distortion",
    "mc_objective",
    "objective",
    "paper_points",
    "paper_settings",
    "pca_projection",
    "polish",
]
