"""Tables, figures and comparison reports (HTML, PDF) built from results directories.

Reports read results written by ``fulfill run`` (see :mod:`sim.results`); nothing in ``sim``
imports this package.  Report rendering arrives with the reporting issue; this package is the
place the project's layout reserves for it.
"""
