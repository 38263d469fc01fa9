"""Type stubs of the private compiled module derand_fast._core."""

import numpy as np
import numpy.typing as npt

_F = npt.NDArray[np.float64]

def step_eps(x: npt.ArrayLike, eps: float) -> tuple[_F, _F, _F]: ...
def jl_indicator(u: npt.ArrayLike, eps: float, eps1: float) -> tuple[_F, _F, _F]: ...
def relu_iota(x: npt.ArrayLike, iota: float) -> tuple[_F, _F, _F]: ...
