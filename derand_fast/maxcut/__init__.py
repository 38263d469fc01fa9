"""MAXCUT on large graphs (paper §5.1, App. F): graph input, the low-rank SDP,
Goemans–Williamson and registered roundings, cut tools and the pipeline.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .anneal import AnnealResult, anneal
from .bound import CertifiedBound, certified_bound
from .cut import as_partition, cut_value, cut_values
from .graph import Graph, load_graph
from .polish import LocalSearchResult, TabuResult, default_tabu_moves, local_search, tabu_search
from .result import MaxCutResult
from .rounding import ROUNDINGS, available_roundings, get_rounding, gw_expected_cut, gw_rounding, register_rounding
from .sdp import SDPResult, default_rank, solve_sdp
from .solve import maxcut

__all__ = [
    "AnnealResult",
    "CertifiedBound",
    "Graph",
    "LocalSearchResult",
    "MaxCutResult",
    "ROUNDINGS",
    "SDPResult",
    "TabuResult",
    "anneal",
    "as_partition",
    "certified_bound",
    "available_roundings",
    "cut_value",
    "cut_values",
    "default_rank",
    "default_tabu_moves",
    "get_rounding",
    "gw_expected_cut",
    "gw_rounding",
    "load_graph",
    "local_search",
    "maxcut",
    "register_rounding",
    "solve_sdp",
    "tabu_search",
]


class _CallableModule(types.ModuleType):
    """This subpackage, callable: ``derand_fast.maxcut(G, ...)`` is :func:`~derand_fast.maxcut.solve.maxcut`."""

    def __call__(self, *args: Any, **kwargs: Any) -> MaxCutResult:
        return maxcut(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
