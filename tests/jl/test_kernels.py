"""The JL kernels' threaded and serial twins (compiled from one body by ``kernels._twins``)."""

from __future__ import annotations

import pytest

from derand_fast.jl import kernels


@pytest.mark.parametrize("name", ["eval_fixed", "mc_batch"])
def test_twins_do_not_share_a_numba_cache_entry(name):
    # Numba's on-disk cache keys a kernel by its function's qualified name, line and signature, not by
    # parallel=: twins sharing one entry loaded whichever compiled first for both, and the threaded
    # kernel ran serially in every later process (2 threads gave 1.0x on the per-entry sigma batch).
    threaded, serial = getattr(kernels, name), getattr(kernels, name + "_serial")
    assert threaded.targetoptions.get("parallel") is True and not serial.targetoptions.get("parallel")
    assert threaded._cache._cache_file._index_path != serial._cache._cache_file._index_path
    assert serial.py_func.__code__ is threaded.py_func.__code__  # one body, two compilations
