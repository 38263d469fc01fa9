"""Counter-based Gaussian random numbers: reproducible whatever the thread count.

Every normal deviate is a pure function of ``(seed, stream, index)``: stream
``s`` is typically a Monte Carlo sample (or a hyperplane, or a training step)
and ``index`` the coordinate within it. Kernels running samples in parallel
fill slot ``s`` from stream ``s``, so the numbers never depend on how the
streams are split among threads (no per-thread generator state anywhere).

The generator hashes the counter with SplitMix64 finalisers (Steele, Lea &
Flood 2014): word ``j`` of a stream is SplitMix64's ``j``-th output from the
stream's key. Normal ``j`` is drawn from word ``j`` by a 256-layer ziggurat
(Marsaglia & Tsang 2000); in the ~1.5 % of cases where its first try fails,
further words come from a second hash of ``(stream key, j, attempt)``, so
normal ``j`` still depends on nothing but ``(seed, stream, j)``.

Named streams
-------------
One user seed drives a whole run; the consumers of random numbers never share
a stream. :data:`STREAMS` gives each consumer its own block of
``STREAM_BLOCK = 2^40`` stream indices (block ``b`` is streams
``[b * 2^40, (b + 1) * 2^40)``); a consumer draws stream ``STREAMS[name].first + i``
(:meth:`Stream.at`), so two consumers under the same seed never draw the same
numbers. A consumer with a generator of its own (the C++ tabu search and
annealer, NumPy's ``default_rng``, scikit-learn's ``random_state``, an
optimizer's noise) seeds it with :meth:`Stream.seed`: the 63-bit hash of the
block's stream ``i`` under the user's seed, distinct for every block and ``i``.

===========================  =====  ==============================================================
name                         block  consumer
===========================  =====  ==============================================================
``sdp.start``                0      SDP random start: row ``i`` of ``V_0`` is stream ``i``
                                    (:func:`derand_fast.maxcut.sdp.initial_factor`)
``gw.hyperplanes``           1      GW hyperplane ``h`` (:func:`derand_fast.maxcut.rounding.gw_rounding`)
``derand_exact.starts``      2      derand-exact restart ``k``'s random start :math:`\\mu_0`
``derand_mc.samples``        3      derand-mc / hyperplane-mc Monte Carlo sample ``k`` of step ``t``:
                                    stream ``t B + k``
``derand_mc.perturbation``   4      derand-mc's random start (stream 1) and its perturbed gradient
                                    descent's own generator (``seed``)
``hyperplane_mc.start``      5      hyperplane-mc's start :math:`m_0`
``bound.lanczos``            6      the certified bound's Lanczos start (streams 0, 1) and breakdowns
``anneal``                   7      annealing chain ``k``'s Metropolis draws (C++: ``seed(s, k)``)
``tabu``                     8      tabu search's tenures, ties and perturbations (C++: ``seed``)
``jl.draws``                 9      JL Gaussian random projection ``t``: stream ``t``
                                    (:func:`derand_fast.jl.baselines.gaussian_projection`; the
                                    variational fit's Gaussian start is draw 0)
``anneal.start``             10     annealing chain ``k``'s random start partition: stream ``k``
``bound.floor``              11     the factorization-cost floor's power-iteration start
``certificate.lanczos``      12     the second-order certificate's Lanczos start
``jl.samples``               13     JL variational Monte Carlo sample ``s`` of step ``t``: stream
                                    ``t S + s`` (:func:`derand_fast.jl.objectives.mc_objective`)
``jl.pairs``                 14     JL pair subsample (``max_pairs``): NumPy generator (``seed``)
``jl.working_set``           15     the JL fit's fixed half of the working set: NumPy generator (``seed``)
``jl.optimizer``             16     the JL fit's optimizer noise (PGD's perturbations; ``seed``)
``qmc.scramble``             17     scrambled Sobol set ``s``'s scrambling: NumPy generator (``seed(seed, s)``)
                                    (:func:`derand_fast.qmc.sobol_normals`)
``nn.data``                  18     NN teacher sample ``i`` of step ``t`` (batch ``n``): stream ``t n + i``,
                                    input and label noise (:meth:`derand_fast.nn.teachers.MultiIndexTeacher.sample`,
                                    and the engine's samples in :class:`derand_fast.nn.train.StudentObjective`)
``nn.init``                  256    NN student initialisation (:math:`2^{48}`, as before the table)
``nn.teacher``               1024   NN teacher directions (:math:`2^{50}`, as before the table)
===========================  =====  ==============================================================

Blocks 0, 1, 256 and 1024 are where those consumers drew before the table
(their numbers are unchanged). The others moved out of overlaps: derand-exact's
restarts, the Monte Carlo samples and the bound's and the certificate's Lanczos
starts drew streams near 0 (the SDP start's), and the annealer and the tabu
search used the raw seed; their results changed by sampling only. So did the
JL fits': their Gaussian draws and Monte Carlo samples drew streams from 0 (the
SDP start's, and each other's: the Gaussian start was Monte Carlo sample 0 of
step 0) and their NumPy generators used the raw seed.
``tests/test_random.py`` asserts the blocks are disjoint.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from ._validation import check_count, check_seed

__all__ = ["standard_normal", "fill_stream", "fill_normals", "stream_key", "seed_to_key", "STREAMS", "Stream",
           "STREAM_BLOCK"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_RETRY_SALT = np.uint64(0x5851F42D4C957F2D)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S8 = np.uint64(8)
_S12 = np.uint64(12)
_S20 = np.uint64(20)
_ONE = np.uint64(1)
_LAYER_MASK = np.uint64(255)
_INV_2_53 = 1.0 / 9007199254740992.0


def _ziggurat_tables(n_layers: int = 256) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Ziggurat layers for the unnormalised density ``f(x) = exp(-x^2/2)``, x >= 0.

    Layer 0 is the base strip ``[0, R] x [0, f(R)]`` plus the tail beyond ``R``,
    given the virtual width ``x_0 = V/f(R)``; layers ``i >= 1`` are rectangles
    ``[0, x_i] x [f(x_i), f(x_{i+1})]``, all of area ``V``, with ``x_1 = R`` and
    ``x_{n} = 0``. ``R`` is solved (bisection) so that the top layer closes at
    ``f = 1`` to double precision.

    Returns ``R``, the layer widths scaled to 52-bit integers ``w``, the
    acceptance thresholds ``k_i = floor(2^52 x_{i+1}/x_i)`` and ``f(x_i)``
    (``n + 1`` entries, the last being ``f(0) = 1``).
    """

    def f(x: float) -> float:
        return math.exp(-0.5 * x * x)

    def area(r: float) -> float:
        return r * f(r) + math.sqrt(0.5 * math.pi) * math.erfc(r / math.sqrt(2.0))

    def widths(r: float) -> list[float] | None:
        v = area(r)
        xs = [v / f(r), r]
        for _ in range(1, n_layers - 1):
            y = f(xs[-1]) + v / xs[-1]
            if y >= 1.0:
                return None  # r too small: the layers overshoot the peak
            xs.append(math.sqrt(-2.0 * math.log(y)))
        return xs

    def closure(r: float) -> float:
        xs = widths(r)
        if xs is None:
            return -1.0
        return xs[-1] * (1.0 - f(xs[-1])) - area(r)

    lo, hi = 3.0, 4.0  # closure(lo) < 0 < closure(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if closure(mid) < 0.0:
            lo = mid
        else:
            hi = mid
    r = hi
    closed = widths(r)
    assert closed is not None  # closure(hi) >= 0: the layers fit below the peak
    xs = closed + [0.0]
    assert len(xs) == n_layers + 1
    scale = 2.0**-52
    w = np.array([x * scale for x in xs[:n_layers]])
    k = np.array([int(xs[i + 1] / xs[i] * 2.0**52) for i in range(n_layers)], dtype=np.uint64)
    fx = np.array([f(x) for x in xs])
    return r, w, k, fx


_ZIG_R, _ZIG_W, _ZIG_K, _ZIG_F = _ziggurat_tables()


@nb.njit(cache=True, inline="always")
def _mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True, inline="always")
def stream_key(key, stream):
    """64-bit key of stream ``stream`` (int >= 0) under generator key ``key`` (uint64)."""
    return _mix64(key ^ _mix64(np.uint64(stream) * _GOLDEN + _GOLDEN))


@nb.njit(cache=True, inline="always")
def _to_uniform(h):
    # (0, 1), never 0: safe for log.
    return (np.float64(h >> _S11) + 0.5) * _INV_2_53


@nb.njit(cache=True)
def _normal_slow(skey, j):
    """Normal ``j`` of the stream keyed ``skey`` when the ziggurat's first try rejects.

    Extra words are hashes of ``(skey, j, attempt)``; this reproduces the fast
    path's first try and carries on, so it can also be called on its own.
    """
    rkey = _mix64(skey ^ _RETRY_SALT)
    base = np.uint64(j) << _S20
    attempt = np.uint64(0)
    r = _mix64(skey + np.uint64(j) * _GOLDEN)
    while True:
        idx = r & _LAYER_MASK
        negative = ((r >> _S8) & _ONE) == _ONE
        ra = r >> _S12
        x = np.float64(ra) * _ZIG_W[idx]
        if ra < _ZIG_K[idx]:
            return -x if negative else x
        if idx == 0:
            # Tail beyond R (Marsaglia 1964).
            while True:
                attempt += _ONE
                u1 = _to_uniform(_mix64(rkey + (base + attempt) * _GOLDEN))
                attempt += _ONE
                u2 = _to_uniform(_mix64(rkey + (base + attempt) * _GOLDEN))
                xt = -math.log(u1) / _ZIG_R
                yt = -math.log(u2)
                if yt + yt > xt * xt:
                    return -(_ZIG_R + xt) if negative else _ZIG_R + xt
        attempt += _ONE
        u = _to_uniform(_mix64(rkey + (base + attempt) * _GOLDEN))
        if _ZIG_F[idx] + u * (_ZIG_F[idx + 1] - _ZIG_F[idx]) < math.exp(-0.5 * x * x):
            return -x if negative else x
        attempt += _ONE
        r = _mix64(rkey + (base + attempt) * _GOLDEN)


@nb.njit(cache=True)
def fill_normals(skey, out):
    """Fill ``out`` (1-D float64) with normals ``0 .. len(out)-1`` of the stream keyed ``skey``.

    ``skey`` is a stream key from :func:`stream_key`. Two passes: a branch-free
    (vectorisable) ziggurat first try for every index, marking rejections with
    NaN, then the rare rejections redone one by one. Normal ``j`` depends only
    on ``(skey, j)``.
    """
    n = out.shape[0]
    for j in range(n):
        r = _mix64(skey + np.uint64(j) * _GOLDEN)
        idx = r & _LAYER_MASK
        ra = r >> _S12
        sign = 1.0 - 2.0 * np.float64((r >> _S8) & _ONE)
        out[j] = sign * (np.float64(ra) * _ZIG_W[idx]) if ra < _ZIG_K[idx] else np.nan
    for j in range(n):
        if out[j] != out[j]:
            out[j] = _normal_slow(skey, j)


@nb.njit(cache=True)
def fill_stream(key, stream, out):
    """Fill ``out`` (1-D float64) with normals ``0 .. len(out)-1`` of ``stream`` under ``key``.

    A prefix of a stream does not depend on its length.
    """
    fill_normals(stream_key(key, stream), out)


@nb.njit(cache=True, parallel=True)
def _fill_streams(key, first_stream, out):
    for s in nb.prange(out.shape[0]):
        fill_stream(key, first_stream + s, out[s])


@nb.njit(cache=True)
def _fill_streams_serial(key, first_stream, out):
    """:func:`_fill_streams` without Numba's threading layer (``threads=1``; safe in a forked child)."""
    for s in range(out.shape[0]):
        fill_stream(key, first_stream + s, out[s])


def seed_to_key(seed: int) -> np.uint64:
    """Map a user seed (an int in [0, 2^63 - 1], :func:`~derand_fast._validation.check_seed`) to the 64-bit key."""
    return np.uint64(check_seed(seed))


def standard_normal(seed: int, n_streams: int, dim: int, *, first_stream: int = 0,
                    threads: int | None = None) -> np.ndarray:
    """Normals of streams ``first_stream .. first_stream + n_streams - 1``, ``dim`` each.

    Parameters
    ----------
    seed : int >= 0
    n_streams, dim : int >= 0
    first_stream : int >= 0
        Lets a caller draw fresh streams for each optimisation step
        (``first_stream = step * n_samples``) without overlap.
    threads : int or None
        Numba threads; the result is identical for every value.

    Returns
    -------
    ndarray of float64, shape ``(n_streams, dim)``
        Entry ``[s, j]`` is normal ``j`` of stream ``first_stream + s``.

    Examples
    --------
    >>> z = standard_normal(0, 3, 4)
    >>> z.shape
    (3, 4)
    >>> bool((standard_normal(0, 2, 4, first_stream=1) == z[1:]).all())
    True
    """
    from ._threads import thread_scope

    for name, v in (("n_streams", n_streams), ("dim", dim), ("first_stream", first_stream)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{name} must be >= 0, got {v}")
    out = np.empty((int(n_streams), int(dim)))
    key = seed_to_key(seed)
    if threads == 1:
        _fill_streams_serial(key, np.int64(first_stream), out)
    else:
        with thread_scope(threads):
            _fill_streams(key, np.int64(first_stream), out)
    return out


#: streams per named block of :data:`STREAMS`
STREAM_BLOCK = 1 << 40


class Stream(NamedTuple):
    """A named block of streams: ``[first, first + size)`` (see the module docstring's table)."""

    name: str
    first: int
    size: int

    def at(self, i: int) -> int:
        """Stream index ``first + i``; ValueError unless ``0 <= i < size``."""
        i = check_count(i, f"the index into stream block {self.name!r}", 0)
        if i >= self.size:
            raise ValueError(f"stream block {self.name!r} has {self.size} streams, asked for index {i}")
        return self.first + i

    def seed(self, seed: int, i: int = 0) -> int:
        """A 63-bit seed for a consumer's own generator: the key of stream :meth:`at` ``(i)`` under ``seed``.

        Distinct blocks (and distinct ``i``) give unrelated seeds, so a C++ or
        NumPy generator seeded with it draws nothing a stream of another block
        draws (up to a 2^-63 coincidence).

        Examples
        --------
        >>> STREAMS["tabu"].seed(0) != STREAMS["anneal"].seed(0)
        True
        """
        # as Python ints: NumPy 1.x cannot shift the key (a Python int) by a uint64
        return int(stream_key(seed_to_key(seed), np.uint64(self.at(i)))) >> 1


def _table(blocks: dict[str, int]) -> dict[str, Stream]:
    return {name: Stream(name, b * STREAM_BLOCK, STREAM_BLOCK) for name, b in blocks.items()}


#: name -> :class:`Stream`: one block per consumer (module docstring's table)
STREAMS: dict[str, Stream] = _table({
    "sdp.start": 0,
    "gw.hyperplanes": 1,
    "derand_exact.starts": 2,
    "derand_mc.samples": 3,
    "derand_mc.perturbation": 4,
    "hyperplane_mc.start": 5,
    "bound.lanczos": 6,
    "anneal": 7,
    "tabu": 8,
    "jl.draws": 9,
    "anneal.start": 10,
    "bound.floor": 11,
    "certificate.lanczos": 12,
    "jl.samples": 13,
    "jl.pairs": 14,
    "jl.working_set": 15,
    "jl.optimizer": 16,
    "qmc.scramble": 17,
    "nn.data": 18,
    "nn.init": 256,
    "nn.teacher": 1024,
})
