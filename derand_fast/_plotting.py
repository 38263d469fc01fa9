"""matplotlib, the optional dependency of the figures (the ``[plot]`` extra).

The computations never need it; :meth:`MaxCutResult.plot
<derand_fast.maxcut.result.MaxCutResult.plot>`, ``derand-fast reproduce`` and
the figure writers of the applications import it when they draw, through
:func:`require_matplotlib`, so that a missing install says what to do.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["INSTALL_HINT", "require_matplotlib"]

#: What to install for the figures.
INSTALL_HINT = "pip install 'derand_fast[plot]' (or pip install matplotlib)"


def require_matplotlib(what: str) -> ModuleType:
    """Import matplotlib for ``what`` (e.g. ``"MaxCutResult.plot"``), or raise a clear ImportError.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names ``what`` and the extra to install.
    """
    try:
        return importlib.import_module("matplotlib")
    except ImportError:
        raise ImportError(f"{what} draws with matplotlib, an optional dependency that is not installed: "
                          f"{INSTALL_HINT}") from None
