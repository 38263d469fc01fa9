"""What every runner of :mod:`derand_fast.reproduce` shares: the run's context and the figure helpers."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RunContext", "move_png", "paper_vs_ours", "verdict"]


@dataclass(frozen=True)
class RunContext:
    """The settings every experiment runs with.

    Attributes
    ----------
    quick : bool
        Reduced settings (the test suite's end-to-end run).
    out : Path
        Folder receiving the PNGs.
    seed : int
        One seed for every experiment.
    threads : int
        Threads for every kernel (the numbers do not depend on it).
    data_dir : Path or None
        Folder of the Gset graph files beyond the built-in G43 (None: only G43).
    """

    quick: bool
    out: Path
    seed: int
    threads: int
    data_dir: Path | None = None


def verdict(ok: bool) -> str:
    return "reproduced" if ok else "differs"


def move_png(src: Path, dst: Path) -> Path:
    """Move a PNG written by an experiment function to its final name."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))
    return dst


def paper_vs_ours(path: Path, title: str, ylabel: str, labels: Sequence[str], paper: Sequence[float],
                   ours: Sequence[float]) -> Path:
    """Bar chart of the values the paper states next to ours (the paper's reference values, drawn)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0, 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, paper, 0.4, label="paper (as stated)", color="0.6")
    ax.bar(x + 0.2, ours, 0.4, label="ours", color="C0")
    ax.set_xticks(x, labels)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    return path

