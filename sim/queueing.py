"""Closed-form queueing results used to validate the model (M/M/c, Erlang C).

The simulation's labor pools are FIFO multi-server queues; with Poisson arrivals, exponential
task times and constant staffing they are M/M/c queues, whose waiting-time law is known
exactly.  Tests compare the simulated waits against these formulas.
"""

from __future__ import annotations

import math


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C formula).

    Parameters
    ----------
    arrival_rate : float
        Arrivals per hour (lambda).
    service_rate : float
        Services per hour per server (mu).
    servers : int
        Number of servers c; requires lambda < c * mu.
    """
    a = arrival_rate / service_rate
    if not 0 < a < servers:
        raise ValueError(f"unstable or empty queue: offered load {a:g} with {servers} servers")
    # sum_{k<c} a^k/k! computed by a stable recurrence
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= a / k
        total += term
    top = term * a / servers * servers / (servers - a)
    return top / (total + top)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue Wq (hours) of an M/M/c queue: C / (c mu - lambda)."""
    return erlang_c(arrival_rate, service_rate, servers) / (servers * service_rate - arrival_rate)


def mmc_wait_exceeds(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(Wq > t) of an M/M/c queue: C exp(-(c mu - lambda) t)."""
    c = erlang_c(arrival_rate, service_rate, servers)
    return c * math.exp(-(servers * service_rate - arrival_rate) * t)
