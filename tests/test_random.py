"""Counter-based normals: distribution, purity in (seed, stream, index), thread invariance."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from scipy import stats

from derand_fast import standard_normal


def test_moments_and_ks():
    z = standard_normal(7, 200, 1000)  # 2e5 deviates
    n = z.size
    # mean ~ N(0, 1/n): 5 sigma bound; variance ~ N(1, 2/n)
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-4
    # streams are uncorrelated: correlation of neighbouring streams ~ N(0, 1/dim)
    c = np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]
    assert abs(c) < 5 / np.sqrt(z[1:].size)


def test_pure_function_of_seed_stream_index():
    a = standard_normal(3, 10, 17)
    b = standard_normal(3, 4, 17, first_stream=6)
    np.testing.assert_array_equal(a[6:], b)
    # a prefix of a stream does not depend on the stream's length
    np.testing.assert_array_equal(standard_normal(3, 10, 5), a[:, :5])
    assert not np.array_equal(standard_normal(4, 10, 17), a)


def test_thread_count_invariance(two_threads):
    a = standard_normal(11, 64, 333, threads=1)
    b = standard_normal(11, 64, 333, threads=two_threads)
    np.testing.assert_array_equal(a, b)
    assert nb.get_num_threads() == nb.config.NUMBA_NUM_THREADS  # restored


@pytest.mark.parametrize("kw, exc", [
    (dict(seed=-1, n_streams=2, dim=2), ValueError),
    (dict(seed=1.5, n_streams=2, dim=2), TypeError),
    (dict(seed=0, n_streams=-2, dim=2), ValueError),
    (dict(seed=0, n_streams=2, dim=2.0), TypeError),
])
def test_bad_arguments(kw, exc):
    with pytest.raises(exc):
        standard_normal(**kw)
