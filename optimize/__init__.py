"""OR-Tools models (inventory placement, order routing, network design).

They read the same :class:`sim.network.Network` as the simulation and never import SimPy, so a
solver's proposal can be simulated and a simulation's demand can be optimised.  The models
arrive with issue 5; this package is the place the project's layout reserves for them.
"""
