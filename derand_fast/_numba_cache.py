"""Where Numba may cache compiled functions: a fallback for read-only installs without a writable HOME.

Numba caches next to the source (``__pycache__``) or under ``~/.cache/numba``;
when neither can be written (a read-only site-packages and ``HOME=/nonexistent``)
every ``@njit(cache=True)`` fails at import with "no locator available". Then
the cache goes to a temporary folder, with one warning. ``NUMBA_CACHE_DIR``
set by the user always wins.
"""

from __future__ import annotations

import os
import tempfile
import warnings

__all__ = ["fallback_cache_dir", "ensure_cache_dir"]


def _writable_dir(path: str) -> bool:
    """True if ``path`` is a writable folder, or does not exist but its nearest existing parent is writable."""
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def fallback_cache_dir(package_dir: str, home: str) -> str | None:
    """A temporary cache folder when neither ``package_dir/__pycache__`` nor ``home/.cache/numba`` is writable.

    Returns None when Numba's own locations work.
    """
    if _writable_dir(os.path.join(package_dir, "__pycache__")):
        return None
    if _writable_dir(os.path.join(home, ".cache", "numba")):
        return None
    return tempfile.mkdtemp(prefix="derand_fast-numba-")


def ensure_cache_dir() -> None:
    """Apply :func:`fallback_cache_dir` to this process (before Numba compiles anything of the package)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    path = fallback_cache_dir(os.path.dirname(os.path.abspath(__file__)), os.path.expanduser("~"))
    if path is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = path
    import sys

    if "numba" in sys.modules:  # already imported: its config read the environment before we set it
        sys.modules["numba"].config.CACHE_DIR = path
    warnings.warn(f"neither the package folder nor ~/.cache is writable: Numba caches compiled code in {path} "
                  "for this process (set NUMBA_CACHE_DIR to choose a lasting place)", RuntimeWarning, stacklevel=2)
