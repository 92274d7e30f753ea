"""Everything people read: terminal tables, the HTML report and its PDF, charts and maps.

``fulfill report`` (see :mod:`reports.build`) reads results directories, a run store or an
experiment just run (:mod:`reports.dataset`), turns them into sentences and tables
(:mod:`reports.content`), charts (:mod:`reports.charts`, :mod:`reports.usmap`) and one
self-contained HTML file (:mod:`reports.html`), printed to PDF by headless Chromium
(:mod:`reports.pdf`).  Nothing in ``sim`` but the CLI imports this package, and nothing here
runs the simulation.
"""
