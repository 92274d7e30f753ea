"""Order-history importers: a shop's order export in, a replay scenario out.

``fulfill import orders FILE --format shopify|woocommerce|csv --out replay.toml`` calls
:func:`import_orders`, which reads the file (:mod:`~sim.importers.formats`), applies the rules
below (:mod:`~sim.importers.rules`), and writes beside ``replay.toml`` the order table
``replay.orders.parquet`` (one row per order line: ``order_id, placed_h, channel, zip3, sku,
units``), a catalog ``replay.catalog.csv`` when one is needed (:mod:`~sim.importers.catalog`),
and the scenario itself, which ``extends`` the base (the bundled baseline by default) with
``[demand] mode = "replay"``.

Rules, applied to each order in this order (an order left out counts under the first reason
that applies; every one is counted in the summary, none is dropped silently):

1. **cancelled**: Shopify ``Cancelled at`` is filled in; a status ``cancelled``,
   ``canceled`` or ``failed`` (WooCommerce, a generic file's ``status``).  A refunded order
   is not cancelled: it was shipped, and is kept.
2. **unpaid or draft** (WooCommerce): status ``pending`` (never paid: an abandoned checkout),
   ``checkout-draft`` or ``trash``.
3. **outside --start/--end**: the order's local date is outside the dates given (inclusive).
4. **nothing to ship**: every line needs no shipping.  A line whose ``Lineitem requires
   shipping`` (or mapped ``requires_shipping``) is false, no or 0 (gift cards, digital goods,
   tips) is left out and counted in the lines left out.
5. **outside the contiguous US (AK, HI, territories, other countries)**: a shipping country
   other than the US (``US``, ``USA``, ``United States``; blank counts as the US), a state
   of Alaska, Hawaii, a territory or an armed-forces address, or such a ZIP prefix (995-999
   AK, 967-968 HI, 006-009 PR/VI, 969 Guam and the Pacific islands, 090-098, 340, 962-966
   APO/FPO).  The only policy (``outside_us="drop"``) leaves them out, except orders to a
   country listed in ``countries`` of a destination group of the base scenario's
   ``[international]`` (when it is on): those are kept, with ``zip3 = "@<group>"`` (no ZIP
   needed), and the replay sends them abroad (:mod:`sim.international`).
6. **no shipping ZIP**; **unreadable ZIP**: ZIP codes are normalised (ZIP+4 ``02108-1234``
   and ``021081234``, a ZIP that lost its leading zero in a spreadsheet ``2108`` -> ``02108``,
   ``501`` -> ``00501``; a column of 3-digit prefixes is kept as it is); a value that is not
   3 to 9 digits after that is unreadable.
7. **unknown 3-digit ZIP**: the prefix is not in the project's ZIP3 table
   (:func:`sim.geo.load_zip3`).

Catalog (:mod:`~sim.importers.catalog`): written when the file has SKUs the base does not
know, or with ``--catalog products.csv``: the base's SKUs plus the file's.  Sizes, name,
category and price come from ``--catalog``, else the base; a SKU known to neither gets 1.0 lb,
10 x 8 x 4 in, category ``imported`` and the median line price of that SKU in the file (else
0), and a warning names how many and the first ten.  Popularity: base SKUs keep theirs, the
others get their share of the file's units.  A line without a SKU is named by its item name.

Errors (:class:`OrdersImportError`, naming the file, the column, the first ten rows counting
the header as row 1, and what was expected): a missing required column; a blank or repeated
order id (one id on orders with different times, on rows apart from each other in a Shopify
export, or twice in a one-row-per-order layout); a timestamp that cannot be read (of any
order); a quantity that is not a whole number from 1 to 1,000,000 or a blank SKU (on lines to
ship of orders not cancelled); no order left to replay.

What is written: times are the order's local wall-clock time, hours since ``start_date``
00:00 (the first order's date, or ``--start``); ``horizon_days`` runs to the last order's day
(or ``--end``) inclusive; ``warmup_days`` is the base's, at most a quarter of the horizon.
The same SKU twice in an order becomes one line.  A channel column (Shopify ``Source``,
a mapped ``channel``) whose value is one of the base scenario's channels (ignoring case)
keeps it; every other order goes to the base's first channel, counted in a warning.  SKU ids
that would start a spreadsheet formula (``=``, ``+``, ``-``, ``@``) get a leading ``'``.

Olist (``--format olist``, FILE its ``orders.csv``; ``order_items.csv`` and ``customers.csv``
from the same folder): see :mod:`~sim.importers.formats`; its Brazilian postcode prefixes are
read as US ZIPs (a stand-in spread of destinations, said in a warning).

Actual outcomes: when the file has hand-over or delivery times (Shopify ``Fulfilled at``,
Olist's carrier and customer dates, a generic ``shipped_at``/``delivered_at``), the import
also writes ``replay.actuals.parquet`` (named in the scenario's header) for the validation
against history (:mod:`sim.importers.actuals`, :mod:`sim.history`); impossible values are
left out and counted in the summary.

Privacy: only the columns above are read (never names, e-mails, street addresses or phone
numbers), only the 3-digit ZIP is written, and messages name rows and columns, never values.
"""

from sim.importers.catalog import DEFAULTS_RULE, build_catalog, read_products
from sim.importers.formats import FIELDS, FORMATS, RawOrders, read_orders
from sim.importers.orders import LEFT_OUT, LINE_NO_SHIPPING, ImportSummary, import_orders
from sim.importers.rules import OUTSIDE_ZIP3, OrdersImportError

__all__ = ["DEFAULTS_RULE", "FIELDS", "FORMATS", "LEFT_OUT", "LINE_NO_SHIPPING",
           "OUTSIDE_ZIP3", "ImportSummary", "OrdersImportError", "RawOrders", "build_catalog",
           "import_orders", "read_orders", "read_products"]
