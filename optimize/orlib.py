"""Readers for J. E. Beasley's OR-Library warehouse-location instances (``cap*.txt``).

The instances are the standard benchmark for facility location: reproducing their published
optima is how :mod:`optimize.facility` proves that its model is right before the project trusts
it with its own network-design questions.

File format (whitespace separated, line breaks carry no meaning)::

    m n
    capacity_1 fixed_cost_1          # m lines, one per warehouse
    ...
    demand_1 cost_11 ... cost_m1     # for each of the n customers: its demand, then m costs,
    ...                              # cost_ij = cost of serving ALL of j's demand from i

In ``capa``/``capb``/``capc`` the capacity field is the literal word ``capacity``; OR-Library
publishes one optimum per substituted value (see :data:`ORLIB_CAPACITIES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ORLIB_CAPACITIES",
    "FacilityProblem",
    "OrlibFormatError",
    "OrlibOptima",
    "read_optima",
    "read_orlib",
]

#: Capacity values OR-Library substitutes for the literal word ``capacity`` in capa/capb/capc.
ORLIB_CAPACITIES: dict[str, tuple[float, ...]] = {
    "capa": (8000.0, 10000.0, 12000.0, 14000.0),
    "capb": (5000.0, 6000.0, 7000.0, 8000.0),
    "capc": (5000.0, 5750.0, 6500.0, 7250.0),
}

_CAPACITY_WORD = "capacity"


class OrlibFormatError(ValueError):
    """A file does not follow the OR-Library warehouse-location (or optima) format.

    A ``ValueError`` subclass so callers that validate any input with ``except ValueError`` also
    catch it; the message names the file and what was expected at which position.
    """


@dataclass(frozen=True)
class FacilityProblem:
    """A facility-location instance: ``m`` candidate warehouses, ``n`` customers.

    Attributes
    ----------
    capacities : ndarray, shape (m,)
        Capacity ``s_i`` of each warehouse, in demand units.
    fixed_costs : ndarray, shape (m,)
        Fixed cost ``f_i`` of opening warehouse ``i``.
    demands : ndarray, shape (n,)
        Demand ``d_j`` of each customer.
    costs : ndarray, shape (m, n)
        ``costs[i, j]`` is the cost of serving *all* of customer ``j``'s demand from ``i``; a
        fraction ``x`` of it costs ``x * costs[i, j]`` (OR-Library's convention, which is why
        costs are per customer and not per unit).
    name : str
        Instance name, e.g. ``"cap41"`` (file stem).
    capacity : float or None
        The value substituted for the literal ``capacity`` field (capa/capb/capc), else None.
    """

    capacities: NDArray[np.float64]
    fixed_costs: NDArray[np.float64]
    demands: NDArray[np.float64]
    costs: NDArray[np.float64]
    name: str = "unnamed"
    capacity: float | None = None

    def __post_init__(self) -> None:
        m, n = self.costs.shape if self.costs.ndim == 2 else (-1, -1)
        if self.costs.ndim != 2 or self.capacities.shape != (m,) or \
                self.fixed_costs.shape != (m,) or self.demands.shape != (n,):
            raise ValueError(
                f"{self.name}: inconsistent shapes: capacities {self.capacities.shape}, "
                f"fixed_costs {self.fixed_costs.shape}, demands {self.demands.shape}, "
                f"costs {self.costs.shape} (expected (m,), (m,), (n,), (m, n))"
            )

    @property
    def m(self) -> int:
        """Number of candidate warehouses."""
        return int(self.costs.shape[0])

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.costs.shape[1])


def _to_float(token: str, path: Path, what: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise OrlibFormatError(f"{path}: expected a number for {what}, got {token!r}") from None


def read_orlib(path: str | Path, capacity: float | None = None) -> FacilityProblem:
    """Read an OR-Library ``cap*.txt`` warehouse-location file.

    Parameters
    ----------
    path : str or Path
        The instance file.
    capacity : float, optional
        Value substituted for the literal word ``capacity`` (required for capa/capb/capc, whose
        published optima depend on it; see :data:`ORLIB_CAPACITIES`).  Ignored for files whose
        capacities are numbers, so the same loop can read every instance.

    Returns
    -------
    FacilityProblem

    Raises
    ------
    OrlibFormatError
        If the header is not two positive integers, the file holds the wrong count of numbers
        for its ``m n`` header, a token is not numeric, a value is negative, or a ``capacity``
        placeholder is found but no ``capacity`` was given.  The message names the file.
    """
    path = Path(path)
    tokens = path.read_text().split()
    if len(tokens) < 2:
        raise OrlibFormatError(f"{path}: expected a header 'm n', file holds {len(tokens)} tokens")
    try:
        m, n = int(tokens[0]), int(tokens[1])
    except ValueError:
        raise OrlibFormatError(
            f"{path}: expected header 'm n' of two integers, got {tokens[0]!r} {tokens[1]!r}"
        ) from None
    if m <= 0 or n <= 0:
        raise OrlibFormatError(f"{path}: expected positive m and n, got m={m}, n={n}")
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) != expected:
        raise OrlibFormatError(
            f"{path}: expected {expected} numbers for m={m} warehouses and n={n} customers "
            f"(2 header + 2*m warehouse + n*(1+m) customer), found {len(tokens)}"
        )

    wh = tokens[2 : 2 + 2 * m]
    cap_tokens = wh[0::2]
    placeholder = [t.lower() == _CAPACITY_WORD for t in cap_tokens]
    if any(placeholder) and capacity is None:
        raise OrlibFormatError(
            f"{path}: warehouse capacities are the literal word 'capacity'; pass capacity=... "
            f"(OR-Library values: {ORLIB_CAPACITIES.get(path.stem.lower(), 'see capopt.txt')})"
        )
    cap_values = [
        float(capacity) if ph and capacity is not None
        else _to_float(t, path, f"capacity of warehouse {i + 1}")
        for i, (t, ph) in enumerate(zip(cap_tokens, placeholder, strict=True))
    ]
    body = tokens[2 + 2 * m :]
    try:
        fixed = np.array(wh[1::2], dtype=np.float64)
        block = np.array(body, dtype=np.float64).reshape(n, 1 + m)
    except ValueError:
        # Slow path only to find and name the bad token.
        for k, t in enumerate(wh[1::2]):
            _to_float(t, path, f"fixed cost of warehouse {k + 1}")
        for k, t in enumerate(body):
            j, r = divmod(k, 1 + m)
            what = f"demand of customer {j + 1}" if r == 0 else \
                f"cost of customer {j + 1} from warehouse {r}"
            _to_float(t, path, what)
        raise  # pragma: no cover - unreachable: some token above failed
    problem = FacilityProblem(
        capacities=np.array(cap_values, dtype=np.float64),
        fixed_costs=fixed,
        demands=block[:, 0].copy(),
        costs=np.ascontiguousarray(block[:, 1:].T),
        name=path.stem,
        capacity=float(capacity) if any(placeholder) and capacity is not None else None,
    )
    for label, arr in (("capacity", problem.capacities), ("fixed cost", problem.fixed_costs),
                       ("demand", problem.demands), ("cost", problem.costs)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise OrlibFormatError(f"{path}: expected finite non-negative values for every {label}")
    return problem


@dataclass
class OrlibOptima:
    """Published optimal values read from ``capopt.txt`` / ``uncapopt.txt``.

    Attributes
    ----------
    values : dict[str, float]
        ``{name: optimum}`` for instances with a single optimum (cap41 ... cap134, and
        capa/capb/capc in ``uncapopt.txt``).
    by_capacity : dict[tuple[str, float], float]
        ``{(name, capacity): optimum}`` for capa/capb/capc, which have one per capacity value.
    """

    values: dict[str, float] = field(default_factory=dict)
    by_capacity: dict[tuple[str, float], float] = field(default_factory=dict)


_NAME = re.compile(r"^cap[a-z0-9]+$", re.IGNORECASE)
_CAP_NOTE = re.compile(r"^\(capacity\s+([0-9.]+)\)$", re.IGNORECASE)


def read_optima(path: str | Path) -> OrlibOptima:
    """Read an OR-Library optima table (``capopt.txt`` or ``uncapopt.txt``).

    Lines are ``name value`` or ``name value (capacity C)``; a line ``value (capacity C)`` with
    no name continues the previous name (capa/capb/capc in ``capopt.txt``).  Header and note
    lines (which start with neither an instance name nor a number) are skipped.

    Raises
    ------
    OrlibFormatError
        If an entry line has a non-numeric value, a continuation line has no preceding name,
        or the file holds no entries at all.
    """
    path = Path(path)
    out = OrlibOptima()
    current: str | None = None
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split(None, 1)
        if not parts:
            continue
        if _NAME.match(parts[0]) and len(parts) == 2:
            current = parts[0].lower()
            rest = parts[1].split(None, 1)
        else:
            try:
                float(parts[0])
            except ValueError:
                continue  # header or note text
            if current is None:
                raise OrlibFormatError(f"{path}:{lineno}: value line before any instance name")
            rest = line.split(None, 1)
        value = _to_float(rest[0], path, f"the optimum on line {lineno}")
        if len(rest) > 1:
            note = _CAP_NOTE.match(rest[1].strip())
            if note is None:
                raise OrlibFormatError(
                    f"{path}:{lineno}: expected '(capacity C)' after the value, got {rest[1]!r}"
                )
            out.by_capacity[(current, float(note.group(1)))] = value
        else:
            out.values[current] = value
    if not out.values and not out.by_capacity:
        raise OrlibFormatError(f"{path}: expected lines 'name optimum', found none")
    return out
