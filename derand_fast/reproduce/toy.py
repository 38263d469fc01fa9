"""Figs. 1–2 (paper §1): the toy example's minimizer against λ, with the bias frozen and trained."""

from __future__ import annotations

import numpy as np

from ._common import RunContext, verdict
from .schema import Claim, Outcome

__all__ = ["TOY_CLAIMS", "run_toy"]

TOY_CLAIMS = (
    ("Fig. 1", "bias frozen at 0: the minimizer |w*| approaches 0 only for large λ", "w* → 0 only for large λ"),
    ("Fig. 2", "bias trained: |w*| = 0 (exact SOSP) for every λ > 0", "w* = 0 for all λ > 0"),
)


def run_toy(ctx: RunContext) -> Outcome:
    """Figs. 1–2: the toy minimizer over a λ grid (8 values quick, 36 full), bias frozen and trained."""
    from ..toy import plot_toy_figures, toy_curves

    quick, out = ctx.quick, ctx.out
    lams = np.logspace(-6.0, 1.0, 8 if quick else 36)
    c = toy_curves(lams)
    p1, p2 = plot_toy_figures(c, out)
    small = c.w_frozen[0]
    vanish = np.flatnonzero(c.w_frozen < 1e-3)
    lam_zero = float(c.lam[vanish[0]]) if vanish.size else None
    w_tr = float(np.max(c.w_trained))
    claims = [
        Claim(*TOY_CLAIMS[0], ours=f"|w*| = {small:.3f} at λ = {c.lam[0]:.0e}; first λ with |w*| < 1e-3: "
              + (f"{lam_zero:.2g}" if lam_zero is not None else "none in the grid"),
              verdict=verdict(small > 0.1 and (lam_zero is None or lam_zero >= 0.1)),
              note="rule: |w*| > 0.1 at the smallest λ and |w*| < 1e-3 only from λ ≥ 0.1"),
        Claim(*TOY_CLAIMS[1], ours=f"max |w*| over λ in [1e-6, 10] = {w_tr:.1e}, b* in "
              f"[{np.min(c.b_trained):.4f}, {np.max(c.b_trained):.4f}]",
              verdict=verdict(w_tr < 1e-3), note="rule: max |w*| < 1e-3 over the grid (global minimizer (0, 1))"),
    ]
    return Outcome(numbers=c.to_dict(), figures=[p1, p2], settings={"lams": lams.tolist()}, claims=claims)

