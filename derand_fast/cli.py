"""The ``derand-fast`` command."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .indicators import step_eps
    from .random import standard_normal

    z = standard_normal(args.seed, 4096, 1)[:, 0]
    mu, sigma, eps = 0.08, 0.05, 0.1
    mc = step_eps(mu + sigma * z, eps)[0].mean()
    print(f"derand_fast engine demo: E[S_eps(mu + sigma z)] with mu={mu}, sigma={sigma}, eps={eps}")
    print(f"  Monte Carlo (4096 samples, seed {args.seed}): {mc:.6f}")
    x, w = np.polynomial.hermite_e.hermegauss(200)
    print(f"  Gauss-Hermite quadrature (200 nodes):      {float(w @ step_eps(mu + sigma * x, eps)[0]) / np.sqrt(2 * np.pi):.6f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="derand-fast", description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
