"""Data shipped with the package: the Gset graph G43 and the best-known Gset cuts.

The files sit next to this module (``G43``: n = 1000, m = 9990, Gset/rudy
format; ``best_known.csv``: columns ``name, n, m, best_known`` for G1–G81).
Library code reads data only from here or from a folder the caller names:
other Gset graphs are found through :func:`gset_path` with an explicit
``data_dir`` (or the ``DERAND_FAST_DATA`` environment variable), never by
guessing a path outside the installed package.

Examples
--------
>>> from derand_fast.maxcut.data import best_known, builtin_graph_path
>>> builtin_graph_path().name
'G43'
>>> best_known("G43")
6660.0
>>> best_known("not a Gset graph") is None
True
"""

from __future__ import annotations

import csv
import functools
import os
from importlib import resources
from pathlib import Path

__all__ = ["BUILTIN_GRAPH", "DATA_ENV", "best_known", "best_known_values", "builtin_graph_path", "data_dir",
           "gset_path"]

#: name of the Gset graph shipped with the package
BUILTIN_GRAPH = "G43"

#: environment variable naming the folder of the Gset graph files (``G1``, ``G11``, ...)
DATA_ENV = "DERAND_FAST_DATA"


def _file(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(name)))


def builtin_graph_path() -> Path:
    """Path of the Gset graph G43 (n = 1000, m = 9990) shipped with the package."""
    return _file(BUILTIN_GRAPH)


@functools.lru_cache(maxsize=1)
def best_known_values() -> dict[str, float]:
    """Published best cuts of the Gset graphs G1–G81 by name (read once from ``best_known.csv``)."""
    with open(_file("best_known.csv"), newline="", encoding="utf-8") as fh:
        return {row["name"]: float(row["best_known"]) for row in csv.DictReader(fh)}


def best_known(name: str) -> float | None:
    """Published best cut of the Gset graph ``name`` (e.g. ``"G43"``), None if the package does not know it."""
    return best_known_values().get(name)


def data_dir(path: str | os.PathLike[str] | None = None, *, name: str = "data_dir") -> Path | None:
    """The folder of the Gset graph files: ``path`` if given, else ``$DERAND_FAST_DATA``, else None.

    Raises
    ------
    NotADirectoryError
        ``path`` (or the environment variable) names something that is not a folder; the message starts
        with ``name`` (or the variable's name).
    """
    source = name
    if path is None:
        path, source = os.environ.get(DATA_ENV) or None, DATA_ENV
    if path is None:
        return None
    p = Path(path)
    if not p.is_dir():
        raise NotADirectoryError(f"{source}: {p} is not a folder (expected the Gset graph files G1, G11, ...)")
    return p


def gset_path(name: str, data: str | os.PathLike[str] | None = None) -> Path | None:
    """Path of the Gset graph ``name``: the built-in G43, else ``name`` in :func:`data_dir(data) <data_dir>`.

    Returns None when the graph is not available (no data folder, or no such file in it).
    """
    if name == BUILTIN_GRAPH:
        return builtin_graph_path()
    folder = data_dir(data)
    if folder is None or not (folder / name).is_file():
        return None
    return folder / name
