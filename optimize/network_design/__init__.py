"""Network design: which fulfillment-center sites to open, as a capacitated facility-location
MIP over a table of candidate sites, priced from a scenario's own demand and costs.

The model, how each cost is priced, the bundled candidates and what the model leaves out are
described in ``docs/network_design.md``.  Modules:

* :mod:`~optimize.network_design.candidates`: the candidate-sites CSV, read and checked;
* :mod:`~optimize.network_design.problem`: the instance, priced from a scenario's
  :class:`~sim.network.Network`;
* :mod:`~optimize.network_design.result`: what a design returns;
* :mod:`~optimize.network_design.solve`: infeasibility explained, the MIP, the current network
  priced on the same model;
* :mod:`~optimize.network_design.writer`: the chosen network written as a scenario.

The text summary ``fulfill optimize network`` prints is
:func:`reports.network_design.format_design`.  No SimPy import.
"""

from optimize.network_design.candidates import (
    Candidates,
    CandidatesError,
    default_candidates_path,
    read_candidates,
    slugify,
)
from optimize.network_design.problem import (
    NetworkProblem,
    cost_per_order_by_zone,
    network_problem,
)
from optimize.network_design.result import (
    CurrentNetwork,
    DesignProgress,
    NetworkDesign,
    ProgressFn,
    SiteMix,
)
from optimize.network_design.solve import (
    InfeasibleNetworkDesign,
    NoSolutionFound,
    design_network,
    evaluate_sites,
    explain_infeasibility,
    match_current_fcs,
)
from optimize.network_design.writer import design_from_files, write_network_scenario

__all__ = [
    "Candidates",
    "CandidatesError",
    "CurrentNetwork",
    "DesignProgress",
    "InfeasibleNetworkDesign",
    "NetworkDesign",
    "NetworkProblem",
    "NoSolutionFound",
    "ProgressFn",
    "SiteMix",
    "cost_per_order_by_zone",
    "default_candidates_path",
    "design_from_files",
    "design_network",
    "evaluate_sites",
    "explain_infeasibility",
    "match_current_fcs",
    "network_problem",
    "read_candidates",
    "slugify",
    "write_network_scenario",
]
