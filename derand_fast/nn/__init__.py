"""Structure discovery in neural networks: the teacher–student experiment (paper §4, App. E, Fig. 3).

A two-layer student :math:`a^\\top\\sigma(Wx + b)` trained on a multi-index
teacher :math:`y = h(Ux) + \\epsilon` converges, at second-order stationary
points, to first-layer weights :math:`W` whose rows lie in :math:`\\mathrm{span}(U)`
(Theorem 4.1). Modules: :mod:`.teachers`, :mod:`.student` (the model, its
exact risk / gradient / Hessian-vector products on a batch, and
:class:`~.student.StudentRisk`, the risk on the teacher's data as an objective
of the smoothing engine, paper Eq. 2), :mod:`.kernels` (their Numba kernels),
:mod:`.metrics`, :mod:`.train` (training through the engine), :mod:`.experiment`
(grids and the Fig. 3 reproduction).
"""

from __future__ import annotations

from .experiment import default_teacher, plot_metrics, plot_weights, reproduce_fig3, run_grid
from .metrics import perp_norm, principal_angles, sosp_perp_bound, subspace_metrics
from .student import ACTIVATIONS, StudentRisk, TwoLayerStudent, init_student
from .teachers import MultiIndexTeacher, single_index_teacher
from .train import StudentObjective, TrainResult, paper_optimizer, train_student

__all__ = [
    "ACTIVATIONS",
    "MultiIndexTeacher",
    "StudentObjective",
    "StudentRisk",
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
