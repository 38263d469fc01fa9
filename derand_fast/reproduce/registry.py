"""The registry of ``derand-fast reproduce``: experiment name -> :class:`Experiment`, in the order they run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import jl, maxcut, nn, toy
from ._common import RunContext
from .schema import Outcome

__all__ = ["ALIASES", "EXPERIMENTS", "Experiment", "select"]


@dataclass(frozen=True)
class Experiment:
    """A registry entry.

    Attributes
    ----------
    name, title : str
    run : callable ``(RunContext) -> Outcome``
    seconds : (float, float)
        Expected wall time (quick, full), as measured on the (busy) 2-core development machine.
    claims : tuple of (figure, statement, paper value)
        Listed as "not run" when the experiment is not run or fails.
    """

    name: str
    title: str
    run: Callable[[RunContext], Outcome]
    seconds: tuple[float, float]
    claims: tuple[tuple[str, str, str], ...] = field(default=())


#: name -> Experiment, in the order they run.
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("fig1_2", "Toy example: minimizer vs λ with and without bias (§1)", toy.run_toy, (3, 10),
               toy.TOY_CLAIMS),
    Experiment("fig3", "Structure discovery: W converges to the principal subspace (App. E)", nn.run_fig3, (3, 190),
               (nn.NN_CLAIM,) * 2),
    Experiment("fig4_5", "MAXCUT on 15 nodes, learned hyperplane (App. F.2)", maxcut.run_fig4_5, (1, 6),
               maxcut.F2_CLAIMS),
    Experiment("fig6_7", "Learned JL projection vs Gaussian draws (App. G.5)", jl.run_fig6_7, (6, 420),
               jl.JL_CLAIMS),
    Experiment("ext_gset", "Extension: exact MAXCUT objective on Gset", maxcut.run_gset, (1, 10),
               maxcut.GSET_CLAIMS),
    Experiment("ext_gset_mc", "Extension: the paper's Monte Carlo derandomization on Gset", maxcut.run_gset_mc,
               (2, 12), maxcut.GSET_MC_CLAIMS),
    Experiment("ext_jl_pairwise", "Extension: pairwise JL", jl.run_jl_pairwise, (3, 220), jl.JLP_CLAIMS),
)}

#: other accepted names -> experiment name
ALIASES = {"fig1": "fig1_2", "fig2": "fig1_2", "fig4": "fig4_5", "fig5": "fig4_5", "fig6": "fig6_7",
           "fig7": "fig6_7"}


def select(only: Iterable[str] | None) -> list[str]:
    """Names of :data:`EXPERIMENTS` selected by ``only`` (names or aliases; None: all), in registry order.

    Raises
    ------
    ValueError
        An unknown name (the message lists the known ones).
    """
    if only is None:
        return list(EXPERIMENTS)
    wanted = set()
    for name in only:
        key = ALIASES.get(name.strip(), name.strip())
        if key not in EXPERIMENTS:
            raise ValueError(f"only: unknown experiment {name!r}; known: "
                             f"{', '.join(sorted(set(EXPERIMENTS) | set(ALIASES)))}")
        wanted.add(key)
    return [k for k in EXPERIMENTS if k in wanted]
