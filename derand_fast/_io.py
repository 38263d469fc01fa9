"""Writing results so that nothing is lost: atomic replacement and an early writability check."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "check_writable"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` all or nothing.

    The text goes to a temporary file in the same folder, is flushed to disk,
    then renamed over ``path``: a full disk or a crash leaves the old file
    intact (and no partial new one).

    Raises
    ------
    OSError
        The folder is not writable or the disk is full (the old file is kept).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(path: str | os.PathLike[str], *, not_same_as: str | os.PathLike[str] | None = None) -> None:
    """Raise ``ValueError`` naming the problem unless a file can be written at ``path``.

    Checks that ``path`` is not a directory, that its folder exists and takes
    a new file (by creating and removing a temporary one), that an existing
    ``path`` is writable, and that it is not the file ``not_same_as`` (an
    input that writing would destroy).
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path}: is a directory")
    if not_same_as is not None and p.exists() and Path(not_same_as).exists() \
            and os.path.samefile(p, not_same_as):
        raise ValueError(f"{path}: is the input file; writing the result there would overwrite it")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise ValueError(f"{path}: folder {parent} does not exist")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{path}: not writable")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".check", dir=parent)
    except OSError as exc:
        raise ValueError(f"{path}: cannot create a file in {parent} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(tmp)
