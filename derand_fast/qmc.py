"""Randomised quasi-Monte Carlo normals: scrambled Sobol points mapped through the normal quantile.

A scrambled Sobol set of ``2^m`` points is a pure function of ``(seed, stream)``
(the scrambling's generator is seeded with ``STREAMS["qmc.scramble"].seed(seed, stream)``,
:data:`derand_fast.random.STREAMS`), so QMC estimates are as reproducible as
the counter-based ones in :mod:`derand_fast.random`. Points are generated
serially by :class:`scipy.stats.qmc.Sobol`; the result does not depend on any
thread count.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ._validation import check_count, check_seed
from .random import STREAMS

__all__ = ["MAX_SOBOL_DIM", "sobol_normals"]

#: Largest dimension SciPy's Sobol direction numbers support (Joe & Kuo 2008).
MAX_SOBOL_DIM = 21201

# Keep the quantile finite: Sobol points can sit at exactly 0.
_U_MIN = 2.0**-60


def sobol_normals(seed: int, n_points: int, dim: int, *, stream: int = 0) -> np.ndarray:
    r"""Standard-normal QMC points: scrambled Sobol mapped by :math:`\Phi^{-1}`.

    Each coordinate of each point is marginally :math:`N(0, 1)` (the scrambling
    makes every point uniformly distributed), while the set as a whole fills
    the space more evenly than independent draws, which lowers the variance of
    smooth integrands (randomised QMC, Owen 1997).

    Parameters
    ----------
    seed : int >= 0
    n_points : int
        A power of two (Sobol sets keep their balance properties only then).
    dim : int, 1 <= dim <= 21201
    stream : int, 0 <= stream < 2^40
        Selects an independent scrambling, e.g. one per optimisation step
        (index ``stream`` of the ``"qmc.scramble"`` block).

    Returns
    -------
    ndarray of float64, shape ``(n_points, dim)``

    Examples
    --------
    >>> z = sobol_normals(0, 8, 3)
    >>> z.shape
    (8, 3)
    """
    check_seed(seed)
    n = check_count(n_points, "n_points", 1)
    d = check_count(dim, "dim", 1)
    s = check_count(stream, "stream", 0)
    if n & (n - 1):
        raise ValueError(f"n_points must be a power of two for Sobol points, got {n}")
    if d > MAX_SOBOL_DIM:
        raise ValueError(f"dim must be <= {MAX_SOBOL_DIM} for Sobol points, got {d}")
    from scipy.stats import qmc  # deferred: importing scipy.stats takes ~1 s

    rng = np.random.default_rng(STREAMS["qmc.scramble"].seed(seed, s))
    u = qmc.Sobol(d, scramble=True, seed=rng).random_base2(n.bit_length() - 1)
    return ndtri(np.clip(u, _U_MIN, 1.0 - _U_MIN))
