"""Named random streams: one seed per run, one independent stream per source of randomness.

Each stream is ``SeedSequence(seed, spawn_key=(replication, crc32(name)))``: the same
construction ``SeedSequence.spawn`` uses, but keyed by a stable name, so adding a new source of
randomness never shifts the draws of the existing ones, and replication ``r`` of a run is the
same whether it runs first, last, alone or on another worker.  Sources are separated so that
two strategies run with the same seed see the same orders, destinations and task times
(common random numbers), however differently they route them.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str, replication: int = 0) -> np.random.Generator:
    """The generator for source ``name`` in replication ``replication`` of a run with ``seed``."""
    key = (int(replication), zlib.crc32(name.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
