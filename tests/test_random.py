"""Counter-based normals: distribution, purity in (seed, stream, index), thread invariance."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from scipy import stats

from derand_fast import standard_normal
from derand_fast.random import _ZIG_R, _normal_slow, fill_normals, seed_to_key, stream_key


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


def test_binned_distribution_including_tails():
    # 4e6 deviates in 80 bins of width 0.1 on [-4, 4] plus two tail bins; chi-square with
    # 81 degrees of freedom: p < 1e-4 would need a distortion of ~0.5 % in some bin.
    z = standard_normal(21, 200, 20_000).ravel()
    edges = np.concatenate([[-np.inf], np.linspace(-4.0, 4.0, 81), [np.inf]])
    counts, _ = np.histogram(z, edges)
    expected = np.diff(stats.norm.cdf(edges)) * z.size
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, len(counts) - 1) > 1e-4
    # the ziggurat's tail beyond R = 3.654... (sampled separately): binomial, 5 sigma
    p = 2 * stats.norm.sf(_ZIG_R)
    n_tail = np.sum(np.abs(z) > _ZIG_R)
    assert abs(n_tail - p * z.size) < 5 * np.sqrt(p * z.size)


def test_rejections_are_pure_functions_of_the_index():
    # The fast first pass and the one-by-one path give the same normal for every index,
    # including the ~1.5 % redone after a failed first ziggurat try.
    skey = stream_key(seed_to_key(5), 3)
    out = np.empty(3000)
    fill_normals(skey, out)
    one_by_one = np.array([_normal_slow(skey, j) for j in range(out.size)])
    np.testing.assert_array_equal(out, one_by_one)


def test_named_streams_are_disjoint_blocks():
    from derand_fast.random import STREAM_BLOCK, STREAMS

    blocks = sorted((s.first, s.first + s.size, name) for name, s in STREAMS.items())
    for (a0, a1, an), (b0, b1, bn) in zip(blocks, blocks[1:]):
        assert a1 <= b0, f"streams {an!r} and {bn!r} overlap"
    assert all(s.name == name and s.size == STREAM_BLOCK and s.first % STREAM_BLOCK == 0
               for name, s in STREAMS.items())
    assert blocks[-1][1] <= 2**63  # stream indices are int64 in the kernels
    # the blocks that existed before the table kept their places (numbers unchanged)
    assert STREAMS["sdp.start"].first == 0 and STREAMS["gw.hyperplanes"].first == 1 << 40
    assert STREAMS["nn.init"].first == 1 << 48 and STREAMS["nn.teacher"].first == 1 << 50
    s = STREAMS["gw.hyperplanes"]
    assert s.at(5) == s.first + 5
    with pytest.raises(ValueError, match="gw.hyperplanes"):
        s.at(s.size)
    # seeds for consumers' own generators: distinct per block and index, and in the seed range
    seeds = {STREAMS[name].seed(7, i) for name in STREAMS for i in range(3)}
    assert len(seeds) == 3 * len(STREAMS) and all(0 <= v < 2**63 for v in seeds)


def test_no_magic_stream_offsets_left():
    """Every consumer's stream offset comes from the STREAMS table, not a literal power of two."""
    import pathlib
    import re

    import derand_fast

    root = pathlib.Path(derand_fast.__file__).parent
    pattern = re.compile(r"first_stream\s*=\s*\d|_STREAM\w*\s*=\s*1\s*<<")
    hits = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py") if p.name != "random.py"  # (its examples)
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == [], hits
