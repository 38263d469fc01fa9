"""Counter-based Gaussian random numbers: reproducible whatever the thread count.

Every normal deviate is a pure function of ``(seed, stream, index)``: stream
``s`` is typically a Monte Carlo sample (or a hyperplane, or a training step)
and ``index`` the coordinate within it. Kernels running samples in parallel
fill slot ``s`` from stream ``s``, so the numbers never depend on how the
streams are split among threads (no per-thread generator state anywhere).

The generator hashes the counter with SplitMix64 finalisers (Steele, Lea &
Flood 2014) into 53-bit uniforms and maps pairs of uniforms to normals with the
Box–Muller transform.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["standard_normal", "fill_stream", "stream_key", "seed_to_key"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_PI = 2.0 * math.pi
_INV_2_53 = 1.0 / 9007199254740992.0


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
def _uniform(skey, counter):
    # (0, 1), never 0: safe for log.
    h = _mix64(skey + np.uint64(counter) * _GOLDEN)
    return (np.float64(h >> _S11) + 0.5) * _INV_2_53


@nb.njit(cache=True)
def fill_stream(key, stream, out):
    """Fill ``out`` (1-D float64) with normals ``0 .. len(out)-1`` of ``stream``.

    Normals ``2j`` and ``2j+1`` come from uniforms ``2j`` and ``2j+1`` of the
    stream (Box–Muller), so a prefix of a stream does not depend on its length.
    """
    skey = stream_key(key, stream)
    n = out.shape[0]
    for j in range(0, n - 1, 2):
        u1 = _uniform(skey, j)
        u2 = _uniform(skey, j + 1)
        r = math.sqrt(-2.0 * math.log(u1))
        t = _TWO_PI * u2
        out[j] = r * math.cos(t)
        out[j + 1] = r * math.sin(t)
    if n % 2 == 1:
        u1 = _uniform(skey, n - 1)
        u2 = _uniform(skey, n)
        out[n - 1] = math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


@nb.njit(cache=True, parallel=True)
def _fill_streams(key, first_stream, out):
    for s in nb.prange(out.shape[0]):
        fill_stream(key, first_stream + s, out[s])


def seed_to_key(seed: int) -> np.uint64:
    """Map a user seed (any int >= 0) to the generator's 64-bit key."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.uint64(int(seed) % (1 << 64))


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
    """
    from ._threads import thread_scope

    for name, v in (("n_streams", n_streams), ("dim", dim), ("first_stream", first_stream)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{name} must be >= 0, got {v}")
    out = np.empty((int(n_streams), int(dim)))
    with thread_scope(threads):
        _fill_streams(seed_to_key(seed), np.int64(first_stream), out)
    return out
