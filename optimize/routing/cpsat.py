"""The optional CP-SAT polish of the reduced wave, on integer-scaled costs and hours (the
scaling keeps CP-SAT's bound a valid lower bound on the true optimum; ``docs/routing.md``)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from optimize.routing.model import _evaluate, _Wave
from optimize.routing.reduction import _Model

__all__ = ["COST_SCALE", "HOURS_SCALE"]

COST_SCALE = 10.0**10
"""Integer cost units per currency unit in the CP-SAT model (lowered if it could overflow)."""
HOURS_SCALE = 3_600_000.0
"""Integer labor units per hour in the CP-SAT model (1 ms)."""
_MAX_UNITS = 2.0**52  # keep every integer sum exactly representable as a double


def _solve_cpsat(
    w: _Wave, md: _Model, keep: NDArray[np.bool_], one: NDArray[np.bool_],
    hint: NDArray[np.int64], max_dt: float,
) -> tuple[NDArray[np.int64] | None, float, str]:
    """CP-SAT on the pairs ``keep`` with the pairs ``one`` fixed to 1 (all others to 0).

    Returns the assignment (``None`` if CP-SAT found none), a lower bound in true units valid
    for the reduced model (``-inf`` if none) and CP-SAT's status name.
    """
    from ortools.sat.python import cp_model, cp_model_helper  # heavy import, only when needed

    from sim.shipping import cp_sat_solver

    P = md.P
    fc = md.base_fc.copy()
    fc[md.pi[one]] = md.pf[one]
    var = keep & ~one & (fc[md.pi] < 0)
    const = md.const + float(md.rel[one].sum())
    vid = np.full(P, -1, dtype=np.int64)
    V = int(var.sum())
    vid[var] = np.arange(V)
    sel = np.flatnonzero(var)
    if V == 0:  # the fixings decide everything
        return fc, _evaluate(w, fc)[0], "OPTIMAL"

    # integer scales (see docs/routing.md)
    rel_v = md.rel[sel]
    h_units = np.floor(md.h * HOURS_SCALE).astype(np.int64)
    worst = float(np.abs(rel_v).sum()) + w.rate * float(md.h.sum()) + 1.0
    scale = COST_SCALE
    while worst * scale > _MAX_UNITS:
        scale /= 10.0
    coef_ov = math.floor(w.rate * scale / HOURS_SCALE)

    m = cp_model.CpModel()
    p = m.proto
    boolean = cp_model_helper.IntegerVariableProto()
    boolean.domain.extend([0, 1])
    p.variables.extend([boolean] * V)
    hint_x = (hint[md.pi[sel]] == md.pf[sel]).astype(np.int64)
    obj_vars, obj_coefs = list(range(V)), np.floor(rel_v * scale).astype(np.int64).tolist()
    hint_vars, hint_vals = list(range(V)), hint_x.tolist()

    vi = md.pi[sel]  # sorted
    cuts = np.flatnonzero(np.diff(vi)) + 1
    for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, V].tolist(), strict=True):
        if b - a > 1:
            p.constraints.add().at_most_one.literals.extend(range(a, b))

    for r in range(md.s_ptr.size - 1):
        e = slice(int(md.s_ptr[r]), int(md.s_ptr[r + 1]))
        v, co = md.s_var[e], md.s_coef[e]
        rhs = int(md.s_rhs[r]) - int(co[one[v]].sum())
        on = var[v]
        if int(co[on].sum()) <= rhs:
            continue
        lin = p.constraints.add().linear
        lin.vars.extend(vid[v[on]].tolist())
        lin.coeffs.extend(co[on].tolist())
        lin.domain.extend([min(0, rhs), rhs])

    if w.rate > 0:
        for r in range(md.c_ptr.size - 1):
            v = md.c_var[int(md.c_ptr[r]):int(md.c_ptr[r + 1])]
            on = var[v]
            cap = math.ceil(float(md.c_cap[r]) * HOURS_SCALE) - int(h_units[v[one[v]]].sum())
            hv = h_units[v[on]]
            total = int(hv.sum())
            if total <= cap:
                continue
            ov, ub = len(p.variables), total - cap
            p.variables.add().domain.extend([0, ub])
            lin = p.constraints.add().linear
            lin.vars.extend([*vid[v[on]].tolist(), ov])
            lin.coeffs.extend([*hv.tolist(), -1])
            lin.domain.extend([-ub, cap])
            obj_vars.append(ov)
            obj_coefs.append(coef_ov)
            hint_vars.append(ov)
            hint_vals.append(max(0, int(hv @ hint_x[vid[v[on]]]) - cap))

    p.objective.vars.extend(obj_vars)
    p.objective.coeffs.extend(obj_coefs)
    p.solution_hint.vars.extend(hint_vars)
    p.solution_hint.values.extend(hint_vals)

    solver = cp_sat_solver()  # leaves Ctrl-C to Python
    prm = solver.parameters
    prm.num_workers = 1
    prm.max_deterministic_time = max_dt
    prm.random_seed = 0
    prm.linearization_level = 2  # the LP of the assignment rows is what proves optimality
    st = solver.solve(m)
    bnd = solver.best_objective_bound
    lower = const + bnd / scale if math.isfinite(bnd) else -math.inf
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, lower if st != cp_model.INFEASIBLE else -math.inf, solver.status_name(st)
    x = np.asarray(solver.response_proto.solution, dtype=np.int64)[:V].astype(bool)
    fc[md.pi[sel[x]]] = md.pf[sel[x]]
    return fc, lower, solver.status_name(st)
