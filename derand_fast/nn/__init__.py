"""Structure discovery in neural networks: the teacher–student experiment (paper §4, App. E, Fig. 3).

A two-layer student :math:`a^\\top\\sigma(Wx + b)` trained on a multi-index
teacher :math:`y = h(Ux) + \\epsilon` converges, at second-order stationary
points, to first-layer weights :math:`W` whose rows lie in :math:`\\mathrm{span}(U)`
(Theorem 4.1). Modules: :mod:`.teachers`, :mod:`.student` (fused Numba
forward/backward/Hessian-vector kernels), :mod:`.metrics`, :mod:`.train`,
:mod:`.experiment` (grids and the Fig. 3 reproduction).
"""

from __future__ import annotations

from .experiment import default_teacher, plot_metrics, plot_weights, reproduce_fig3, run_grid
from .metrics import perp_norm, principal_angles, sosp_perp_bound, subspace_metrics
from .student import ACTIVATIONS, TwoLayerStudent, init_student
from .teachers import MultiIndexTeacher, single_index_teacher
from .train import StudentObjective, TrainResult, paper_optimizer, train_student

__all__ = [
    "ACTIVATIONS",
    "MultiIndexTeacher",
    "StudentObjective",
    "TrainResult",
    "TwoLayerStudent",
    "default_teacher",
    "init_student",
    "paper_optimizer",
    "perp_norm",
    "plot_metrics",
    "plot_weights",
    "principal_angles",
    "reproduce_fig3",
    "run_grid",
    "single_index_teacher",
    "sosp_perp_bound",
    "subspace_metrics",
    "train_student",
]
