"""One result base for every stage: a SciPy ``OptimizeResult`` whose ``status`` is a :class:`Status`.

Every stage of the library (the SDP, GW, each rounding method, the
polishes, the JL fits) returns a :class:`StageResult`: a ``dict`` with attribute access
(SciPy's :class:`scipy.optimize.OptimizeResult`) that always has

``status``
    a :class:`~derand_fast.runcontrol.Status` (an ``IntEnum``: JSON stores
    the number, ``status == 0`` means completed);
``success``
    True when the stage completed (``status == COMPLETED``) unless the stage
    says otherwise;
``message``
    the stage's text for its status (default: ``status.message``);

and, where they mean something, ``nit`` (iterations: SDP sweeps, gradient
steps, Metropolis sweeps), ``nfev`` (objective evaluations) and ``time``
(seconds). Attribute names a stage used before this base keep working as
aliases of the canonical keys (``SDPResult.sweeps`` is ``nit``); each
result class lists its aliases in ``_aliases``.

Examples
--------
>>> from derand_fast.runcontrol import Status
>>> res = StageResult(status=Status.TIME_LIMIT, nit=3, time=0.5)
>>> res.status, res.success, res.nit
(<Status.TIME_LIMIT: 1>, False, 3)
>>> res.message
'time limit reached: best result so far'
>>> int(res["status"])
1
"""

from __future__ import annotations

from typing import Any, ClassVar

from scipy.optimize import OptimizeResult

from .runcontrol import FORMER_STATUS, Status

__all__ = ["StageResult", "as_status"]



def as_status(value: Any) -> Status:
    """``value`` as a :class:`Status`: a member, its int, or a status string (``"done"``, ``"converged"``, ...).

    Raises
    ------
    ValueError
        For anything else (the message lists the accepted strings).
    """
    if isinstance(value, str):
        try:
            return FORMER_STATUS[value.lower()]
        except KeyError:
            raise ValueError(f"unknown status {value!r}; use a Status or one of {sorted(FORMER_STATUS)}") from None
    if isinstance(value, bool):
        raise ValueError(f"a status must be a Status, an int or a str, got the bool {value}")
    return Status(value)


class StageResult(OptimizeResult):
    """Base of the stages' results: SciPy's ``OptimizeResult`` with ``status`` a :class:`Status`.

    Parameters
    ----------
    status : Status, int or str, default COMPLETED
        Converted by :func:`as_status`.
    message : str, optional
        Default ``status.message``.
    success : bool, optional
        Default ``status == Status.COMPLETED`` (a subclass may widen it: ``_succeeded``).
    **fields
        The stage's other entries (``x``, ``nit``, ``time``, ...). A former
        attribute name listed in ``_aliases`` is stored under its canonical key.
    """

    #: former attribute name -> canonical key (read and written through both names)
    _aliases: ClassVar[dict[str, str]] = {}

    def __init__(self, status: Any = Status.COMPLETED, message: str | None = None, success: bool | None = None,
                 **fields: Any) -> None:
        super().__init__()
        for name, value in fields.items():
            self[self._aliases.get(name, name)] = value
        st = as_status(status)
        self["status"] = st
        self["message"] = st.message if message is None else str(message)
        self["success"] = self._succeeded(st) if success is None else bool(success)

    @staticmethod
    def _succeeded(status: Status) -> bool:
        """The default ``success`` of ``status`` (a stage may count more statuses as success)."""
        return status is Status.COMPLETED

    def __getattr__(self, name: str) -> Any:
        key = type(self)._aliases.get(name)
        try:
            return self[name if key is None else key]
        except KeyError as e:
            raise AttributeError(name) from e

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status":  # a new status brings its own message and success
            st = as_status(value)
            self.update(status=st, message=st.message, success=self._succeeded(st))
            return
        self[type(self)._aliases.get(name, name)] = value

    def __repr__(self) -> str:
        # SciPy's repr fails on an empty nested dict (a stage's empty ``info``): one line per entry instead
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, map(str, self)))
        return "\n".join(f"{str(k).rjust(width)}: {v!r}" for k, v in self.items())

    def __dir__(self) -> list[str]:
        return sorted({*object.__dir__(self), *self.keys(), *self._aliases})
