"""derand_fast: the derandomization framework, fast.

Optimize the parameters of a Gaussian instead of sampling from it, until the
randomness is gone: large-graph MAXCUT, learned Johnson–Lindenstrauss
projections and structure discovery in neural networks on one engine.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .indicators import edge_indicator, jl_indicator, relu_iota, step_eps
from .random import standard_normal

try:
    __version__ = version("derand_fast")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "edge_indicator",
    "jl_indicator",
    "relu_iota",
    "standard_normal",
    "step_eps",
]
