"""``fulfill import orders``: real export layouts in, a replay scenario out (sim.importers).

Fixtures in ``tests/data/import/`` use the real header rows of ../shared/data/formats/:
``shopify_orders.csv`` (11 orders on 14 rows; personal columns filled in with the made-up
person below), ``woocommerce_default.csv`` and ``woocommerce_one_row_per_item.csv`` (the same
7 orders in both layouts), ``generic_orders.csv`` (own headers, imported with a mapping) and
``products.csv`` (a --catalog).  The expected answers are worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.files import WRITTEN_BY
from sim.importers import OUTSIDE_ZIP3, OrdersImportError, import_orders, read_orders
from sim.importers.orders import default_base
from sim.importers.rules import (
    ZIP_BLANK,
    ZIP_OK,
    ZIP_UNREADABLE,
    is_outside_us,
    parse_timestamps,
    zip3_of_column,
)

DATA = Path(__file__).parent / "data" / "import"
SHOPIFY = DATA / "shopify_orders.csv"
OUTSIDE = "outside the contiguous US (AK, HI, territories, other countries)"
NO_SHIP = "needs no shipping (gift card, digital)"
PERSONAL = ("roberta.quigley@example.com", "Roberta", "Quigley", "742 Evergreen Terrace",
            "Evergreen", "555-867-5309", "8675309", "Springfield")
GENERIC_MAP = {"Order Number": "order_id", "Order Date": "created_at", "Item": "sku",
               "Qty": "quantity", "Postal Code": "zip", "Sales Channel": "channel",
               "Order State": "status"}
COLUMNS = ["order_id", "placed_h", "channel", "zip3", "sku", "units"]
BASE_SKUS = 300


def _shopify_header() -> list[str]:
    with SHOPIFY.open(newline="") as fh:
        return next(csv.reader(fh))


def _shopify(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """A Shopify export with the real header and the given cells (others blank)."""
    header = header or _shopify_header()
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows({h: r.get(h, "") for h in header} for r in rows)
    return path


def _row(name: str, created: str = "2024-03-05 10:00:00 -0500", sku: str = "SKU-0001",
         qty: str = "1", zip_: str = "60614", **more: str) -> dict[str, str]:
    return {"Name": name, "Created at": created, "Lineitem sku": sku, "Lineitem quantity": qty,
            "Shipping Zip": zip_, "Email": "roberta.quigley@example.com", **more}


def _table(out: Path) -> pd.DataFrame:
    return pq.read_table(out.parent / f"{out.stem}.orders.parquet").to_pandas()


def _toml(out: Path) -> dict[str, object]:
    return tomllib.loads(out.read_text())


def test_shopify_export_known_answers(tmp_path: Path) -> None:
    out = tmp_path / "replay.toml"
    s = import_orders(SHOPIFY, fmt="shopify", out=out)
    # 11 orders on 14 rows; kept #1001 (3 rows, SKU-0001 twice), #1004 (refunded),
    # #1005 (ZIP 2108), #1006 (ZIP+4, plus a gift card line), #1009 (SKU from the name)
    assert (s.rows_read, s.orders_read, s.orders_kept) == (14, 11, 5)
    assert s.left_out == {"cancelled": 1, "nothing to ship": 1, OUTSIDE: 2,
                          "unreadable ZIP": 1, "unknown 3-digit ZIP": 1}
    assert s.lines_left_out == {NO_SHIP: 2}  # #1003's gift card, #1006's gift card line
    assert (s.lines_kept, s.units_kept, s.new_skus, s.days) == (6, 10, 2, 5)
    assert (s.first_order, s.last_order) == ("2024-03-05 14:22", "2024-03-09 10:00")
    df = _table(out)
    assert list(df.columns) == COLUMNS
    assert df["order_id"].tolist() == ["#1001", "#1001", "#1004", "#1005", "#1006", "#1009"]
    # local wall-clock hours since 2024-03-05 00:00 (offsets dropped; #1004 is -0800)
    np.testing.assert_allclose(df["placed_h"], [14 + 22 / 60 + 10 / 3600] * 2 + [
        24 + 11.5, 48 + 8 + 5 / 60, 72 + 23 + 59 / 60 + 59 / 3600, 96 + 10.0], atol=1e-9)
    assert df["placed_h"].iloc[0] == pytest.approx(14.369444, abs=1e-6)
    assert df["zip3"].tolist() == ["606", "606", "941", "021", "303", "073"]
    assert df["sku"].tolist() == ["SKU-0001", "SKU-0002", "HOODIE-BLK-M", "SKU-0003",
                                  "SKU-0004", "Ceramic Mug - Blue"]
    assert df["units"].tolist() == [2, 2, 1, 3, 1, 1]  # #1001: SKU-0001 1 + 1 on two rows
    # Source 'marketplace' is a base channel; 'web' and 'pos' are not
    assert df["channel"].tolist() == ["webstore", "webstore", "webstore", "marketplace",
                                      "webstore", "webstore"]
    assert any("4 orders have a 'Source'" in w and "2 values of 'Source'" in w
               for w in s.warnings)
    t = pq.read_schema(out.parent / "replay.orders.parquet")
    assert [str(t.field(c).type) for c in COLUMNS] == ["string", "double", "string", "string",
                                                      "string", "int32"]
    assert s.files == [out, tmp_path / "replay.orders.parquet", tmp_path / "replay.catalog.csv"]


def test_shopify_scenario_file(tmp_path: Path) -> None:
    out = tmp_path / "replay.toml"
    import_orders(SHOPIFY, fmt="shopify", out=out)
    assert out.read_text().startswith(WRITTEN_BY + " import orders from shopify_orders.csv")
    doc = _toml(out)
    assert (tmp_path / str(doc["extends"])).resolve() == default_base().resolve()
    assert doc["name"] == "shopify_orders replay"
    assert doc["replace"] == ["catalog"]
    assert doc["catalog"] == {"file": "replay.catalog.csv"}
    # 5 days from 2024-03-05 to 2024-03-09; warm-up min(7, 5 / 4)
    assert doc["run"] == {"start_date": dt.date(2024, 3, 5), "horizon_days": 5,
                          "warmup_days": 1.25}
    assert doc["demand"] == {"mode": "replay", "orders_file": "replay.orders.parquet",
                             "scale": 1.0}


def test_catalog_defaults_for_unknown_skus(tmp_path: Path) -> None:
    out = tmp_path / "replay.toml"
    s = import_orders(SHOPIFY, fmt="shopify", out=out)
    cat = pd.read_csv(tmp_path / "replay.catalog.csv", dtype={"sku": str})
    assert list(cat.columns) == ["sku", "name", "category", "weight_lb", "length_in",
                                 "width_in", "height_in", "unit_price", "popularity"]
    assert len(cat) == BASE_SKUS + 2
    base = pd.read_csv(default_base().parent / "data" / "skus.csv")
    pd.testing.assert_frame_equal(cat.iloc[:BASE_SKUS][["sku", "name", "category"]],
                                  base[["sku", "name", "category"]])
    np.testing.assert_allclose(cat["weight_lb"][:BASE_SKUS], base["weight_lb"])
    np.testing.assert_allclose(cat["popularity"][:BASE_SKUS], base["popularity"], rtol=1e-6)
    new = cat.iloc[BASE_SKUS:].set_index("sku")
    assert new.loc["HOODIE-BLK-M", ["weight_lb", "length_in", "width_in", "height_in"]
                   ].tolist() == [1.0, 10.0, 8.0, 4.0]
    assert new["category"].tolist() == ["imported", "imported"]
    assert new.loc["HOODIE-BLK-M", "unit_price"] == 25.0  # its median line price
    assert new.loc["Ceramic Mug - Blue", "unit_price"] == 12.5
    assert new.loc["HOODIE-BLK-M", "name"] == "Hoodie - Black / M"
    np.testing.assert_allclose(new["popularity"], [0.1, 0.1])  # 1 of the 10 units each
    (w,) = [w for w in s.warnings if "default sizes" in w]
    assert w.startswith("2 SKUs not in the base catalog got default sizes (1.0 lb, "
                        "10 x 8 x 4 in")
    assert w.endswith(": Ceramic Mug - Blue, HOODIE-BLK-M.")


def test_catalog_real_sizes_from_products_file(tmp_path: Path) -> None:
    out = tmp_path / "replay.toml"
    s = import_orders(SHOPIFY, fmt="shopify", out=out, catalog=DATA / "products.csv")
    cat = pd.read_csv(tmp_path / "replay.catalog.csv").set_index("sku")
    assert "SKU-9999" not in cat.index  # listed in products.csv, never ordered
    assert cat.loc["HOODIE-BLK-M", ["weight_lb", "length_in", "width_in", "height_in",
                                    "unit_price"]].tolist() == [1.4, 14.0, 11.0, 3.0, 25.0]
    assert cat.loc["HOODIE-BLK-M", "category"] == "Apparel"
    assert cat.loc["Ceramic Mug - Blue", "weight_lb"] == 1.0
    (w,) = [w for w in s.warnings if "default sizes" in w]
    assert w.startswith("1 SKU not in the base catalog or --catalog got default sizes")
    assert w.endswith(": Ceramic Mug - Blue.")


def test_products_file_errors_name_rows(tmp_path: Path) -> None:
    bad = tmp_path / "products.csv"
    bad.write_text("sku,weight_lb,length_in,width_in,height_in\nA,1,2,3,4\nB,0,2,3,4\n")
    with pytest.raises(OrdersImportError, match=r"products\.csv, column 'weight_lb', row 3: "
                                                r"expected a positive number"):
        import_orders(SHOPIFY, fmt="shopify", out=tmp_path / "r.toml", catalog=bad)
    assert not (tmp_path / "r.toml").exists()


def test_no_catalog_when_every_sku_is_known(tmp_path: Path) -> None:
    out = tmp_path / "g.toml"
    s = import_orders(DATA / "generic_orders.csv", fmt="csv", out=out, mapping=GENERIC_MAP)
    assert s.new_skus == 0
    assert not (tmp_path / "g.catalog.csv").exists()
    doc = _toml(out)
    assert "catalog" not in doc and "replace" not in doc
    assert s.files == [out, tmp_path / "g.orders.parquet"]


WOO_EXPECTED = pd.DataFrame({
    "order_id": ["501", "501", "503", "507"],
    # 2024-04-01 10:00; 04-02 09:15; 04-03 18:45:30
    "placed_h": [10.0, 10.0, 24 + 9.25, 48 + 18.75 + 30 / 3600],
    "channel": ["webstore"] * 4, "zip3": ["021", "021", "606", "100"],
    "sku": ["SKU-0001", "SKU-0002", "HOODIE-BLK-M", "SKU-0003"],
    "units": np.array([2, 1, 1, 4], np.int32)})


@pytest.mark.parametrize("name", ["woocommerce_default", "woocommerce_one_row_per_item"])
def test_woocommerce_layouts(tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.toml"
    s = import_orders(DATA / f"{name}.csv", fmt="woocommerce", out=out)
    # 501 completed, 502 cancelled, 503 refunded (kept), 504 pending, 505 failed,
    # 506 to Honolulu, 507 completed with ZIP+4
    assert (s.orders_read, s.orders_kept, s.lines_kept, s.units_kept) == (7, 3, 4, 8)
    assert s.rows_read == (7 if name == "woocommerce_default" else 8)
    assert s.left_out == {"cancelled": 2, "unpaid or draft (pending payment, "
                          "checkout-draft, trash)": 1, OUTSIDE: 1}
    df = _table(out)
    df["order_id"] = df["order_id"].astype(object)
    expected = WOO_EXPECTED.copy()
    pd.testing.assert_frame_equal(df.astype(object), expected.astype(object), check_dtype=False)
    np.testing.assert_allclose(df["placed_h"], expected["placed_h"])
    cat = pd.read_csv(tmp_path / f"{name}.catalog.csv").set_index("sku")
    assert cat.loc["HOODIE-BLK-M", "unit_price"] == 25.0  # JSON total / quantity, item_price


def test_woocommerce_default_repeated_order_id(tmp_path: Path) -> None:
    src = (DATA / "woocommerce_default.csv").read_text().splitlines()
    f = tmp_path / "woo.csv"
    f.write_text("\n".join([*src, src[2]]) + "\n")  # order 502 again on row 9
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="woocommerce", out=tmp_path / "r.toml")
    assert "woo.csv, column 'order_id', rows 3, 9: expected each order id once" in str(e.value)


def test_woocommerce_item_columns_and_bad_json(tmp_path: Path) -> None:
    f = tmp_path / "legacy.csv"
    f.write_text("order_id,date,status,shipping_postcode,Item #1,Item #2\n"
                 "9,2024-04-01 10:00:00,completed,10001,sku:SKU-0001|qty:2|total:10,"
                 "name:Gift Wrap|quantity:1\n"
                 "10,2024-04-01 11:00:00,completed,10001,sku:SKU-0002|quantity:1,\n")
    s = import_orders(f, fmt="woocommerce", out=tmp_path / "r.toml")
    df = _table(tmp_path / "r.toml")
    assert df[["order_id", "sku", "units"]].values.tolist() == [
        ["9", "Gift Wrap", 1], ["9", "SKU-0001", 2], ["10", "SKU-0002", 1]]
    assert s.new_skus == 1
    g = tmp_path / "json.csv"
    g.write_text('order_id,date,status,shipping_postcode,line_items\n'
                 '1,2024-04-01 10:00:00,completed,10001,"[{""sku"": ""SKU-0001"", '
                 '""quantity"": 1}]"\n'
                 '2,2024-04-01 10:00:00,completed,10001,"[{""sku"": "\n')
    with pytest.raises(OrdersImportError, match=r"json\.csv, column 'line_items', row 3: "
                                                "expected line items as JSON"):
        import_orders(g, fmt="woocommerce", out=tmp_path / "r2.toml")


def test_empty_files(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text("")
    with pytest.raises(OrdersImportError, match="the file is empty"):
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    f.write_text(",".join(_shopify_header()) + "\n")
    with pytest.raises(OrdersImportError, match=r"no orders \(a header row and nothing else"):
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")


def test_generic_csv_with_mapping(tmp_path: Path) -> None:
    out = tmp_path / "g.toml"
    s = import_orders(DATA / "generic_orders.csv", fmt="csv", out=out, mapping=GENERIC_MAP)
    assert (s.rows_read, s.orders_read, s.orders_kept, s.units_kept) == (5, 4, 3, 6)
    assert s.left_out == {"cancelled": 1}
    df = _table(out)
    assert df["order_id"].tolist() == ["A-1", "A-1", "A-2", "A-4"]
    # 09:30Z; '5/11/2024 2:15 PM' (US form); '2024-05-12' (a date alone: midnight)
    assert df["placed_h"].tolist() == [9.5, 9.5, 24 + 14.25, 48.0]
    # 021081234 (9 digits); 501 in a column of 5-digit ZIPs is 00501; 19103
    assert df["zip3"].tolist() == ["021", "021", "005", "191"]
    assert df["channel"].tolist() == ["marketplace", "marketplace", "social", "webstore"]
    assert df["units"].tolist() == [1, 2, 1, 2]  # '2.0' is a whole number
    assert any("1 order has a 'Sales Channel'" in w and "1 value of 'Sales Channel'" in w
               for w in s.warnings)


def test_generic_csv_headers_named_after_fields(tmp_path: Path) -> None:
    f = tmp_path / "orders.csv"
    f.write_text("ORDER_ID,Created_At,sku,zip,name\n"
                 "1,2024-06-01 08:00:00,SKU-0001,10001,Roberta Quigley\n"
                 "1,2024-06-01 08:00:00,SKU-0001,10001,Roberta Quigley\n"
                 "2,2024-06-02 08:00:00,SKU-0002,90210,Roberta Quigley\n")
    s = import_orders(f, fmt="csv", out=tmp_path / "r.toml")
    df = _table(tmp_path / "r.toml")
    assert df["units"].tolist() == [2, 1]  # no quantity column: a row is one unit
    assert df["placed_h"].tolist() == [8.0, 32.0]
    assert s.days == 2


def test_xlsx_through_pandas(tmp_path: Path) -> None:
    f = tmp_path / "orders.xlsx"
    pd.DataFrame({
        "Order": ["X1", "X2", "X2"],
        "When": [dt.datetime(2024, 7, 1, 13, 30), dt.datetime(2024, 7, 2, 9, 0),
                 dt.datetime(2024, 7, 2, 9, 0)],
        "Item": ["SKU-0001", "SKU-0002", "SKU-0003"],
        "Qty": [1, 2, 1],
        "Zip": [2108, 30301, 30301],  # a number: the leading zero is gone
        "Email": ["roberta.quigley@example.com"] * 3,
    }).to_excel(f, index=False)
    s = import_orders(f, fmt="csv", out=tmp_path / "x.toml",
                      mapping={"Order": "order_id", "When": "created_at", "Item": "sku",
                               "Qty": "quantity", "Zip": "zip"})
    df = _table(tmp_path / "x.toml")
    assert (s.rows_read, s.orders_kept, s.units_kept) == (3, 2, 4)
    assert df["zip3"].tolist() == ["021", "303", "303"]
    assert df["placed_h"].tolist() == [13.5, 33.0, 33.0]


def test_duplicate_order_ids_list_rows(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "dup.csv", [
        _row("#1", "2024-03-05 10:00:00 -0500"), _row("#2"),
        _row("#1", "2024-03-07 10:00:00 -0500"), _row("#3")])
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    msg = str(e.value)
    assert "dup.csv, column 'Name', rows 2, 4: expected each order id once" in msg
    assert "different 'Created at'" in msg
    assert not (tmp_path / "r.toml").exists()


def test_shopify_order_rows_apart_are_two_orders(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "dup.csv", [_row("#1"), _row("#2"), _row("#1")])
    with pytest.raises(OrdersImportError, match=r"rows 2, 4: .*rows apart from each other"):
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")


def test_first_ten_rows_are_listed(tmp_path: Path) -> None:
    rows = [_row(f"#{i}", "yesterday at noon") for i in range(12)]
    f = _shopify(tmp_path / "t.csv", rows)
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    assert ("t.csv, column 'Created at', rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 (first ten of "
            "12): expected a date and time") in str(e.value)


def test_bad_timestamp_names_column_and_rows(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "t.csv", [_row("#1"), _row("#2", "2024-13-05 10:00:00 -0500"),
                                      _row("#3", ""), _row("#4", "2024-03-05 25:00")])
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    assert "t.csv, column 'Created at', rows 3, 4, 5: expected a date and time" in str(e.value)


def test_quantities_must_be_whole_and_positive(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "q.csv", [_row("#1", qty="0"), _row("#2", qty="1.5"),
                                      _row("#3", qty="2"), _row("#4", qty="",
                                                                **{"Cancelled at": "x"})])
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    # row 5 belongs to a cancelled order: not checked
    assert "column 'Lineitem quantity', rows 2, 3: expected a whole number" in str(e.value)


def test_no_shippable_order_left(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "none.csv", [
        _row("#1", **{"Cancelled at": "2024-03-05 11:00:00 -0500"}),
        _row("#2", zip_="96813"),
        _row("#3", **{"Lineitem requires shipping": "false"})])
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    assert str(e.value) == (f"{f}: no order left to replay: of 3 orders read, all were left "
                            f"out (cancelled: 1; nothing to ship: 1; {OUTSIDE}: 1).")
    assert list(tmp_path.iterdir()) == [f]


def test_older_export_with_fewer_columns(tmp_path: Path) -> None:
    header = ["Name", "Email", "Created at", "Lineitem quantity", "Lineitem name",
              "Lineitem sku", "Shipping Zip"]
    f = _shopify(tmp_path / "old.csv", [
        _row("#1", sku="", **{"Lineitem name": "Linen Apron"}),
        _row("#1", sku="SKU-0002"), _row("#2", zip_="10001-0001")], header)
    s = import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    df = _table(tmp_path / "r.toml")
    assert df["sku"].tolist() == ["Linen Apron", "SKU-0002", "SKU-0001"]
    assert s.warnings[0].startswith("1 SKU not in the base catalog got default sizes")
    g = _shopify(tmp_path / "older.csv", [_row("#1")], ["Name", "Created at", "Lineitem sku"])
    with pytest.raises(OrdersImportError) as e:
        import_orders(g, fmt="shopify", out=tmp_path / "r2.toml")
    assert "not a Shopify orders export: missing column(s) 'Lineitem quantity', " \
           "'Shipping Zip'" in str(e.value)


def test_start_and_end_filter_by_local_date(tmp_path: Path) -> None:
    out = tmp_path / "w.toml"
    s = import_orders(SHOPIFY, fmt="shopify", out=out, start=dt.date(2024, 3, 6),
                      end=dt.date(2024, 3, 8))
    # #1001, #1002 (cancelled: cancelled first), #1009-#1011 are outside the dates
    assert s.left_out["outside --start/--end"] == 4
    assert s.left_out["cancelled"] == 1
    df = _table(out)
    assert df["order_id"].tolist() == ["#1004", "#1005", "#1006"]
    np.testing.assert_allclose(df["placed_h"], [11.5, 24 + 8 + 5 / 60, 48 + 23 + 3599 / 3600])
    doc = _toml(out)
    assert doc["run"] == {"start_date": dt.date(2024, 3, 6), "horizon_days": 3,
                          "warmup_days": 0.75}


def test_personal_data_is_written_nowhere(tmp_path: Path) -> None:
    outputs = [
        import_orders(SHOPIFY, fmt="shopify", out=tmp_path / "a.toml"),
        import_orders(DATA / "woocommerce_default.csv", fmt="woocommerce",
                      out=tmp_path / "b.toml"),
        import_orders(DATA / "woocommerce_one_row_per_item.csv", fmt="woocommerce",
                      out=tmp_path / "c.toml"),
        import_orders(DATA / "generic_orders.csv", fmt="csv", out=tmp_path / "d.toml",
                      mapping=GENERIC_MAP)]
    written = sorted(tmp_path.iterdir())
    assert len(written) == 4 + 4 + 3  # scenarios, order tables, catalogs (not for d)
    for path in written:
        data = path.read_bytes()
        for text in PERSONAL:
            assert text.encode() not in data, (path.name, text)
    for s in outputs:
        for text in PERSONAL:
            assert text not in "\n".join(s.lines())
    # errors name rows and columns, never values
    f = _shopify(tmp_path / "bad.csv", [_row("#1", "Roberta Quigley", zip_="742 Evergreen")])
    with pytest.raises(OrdersImportError) as e:
        import_orders(f, fmt="shopify", out=tmp_path / "e.toml")
    assert not any(text in str(e.value) for text in PERSONAL)


def test_refuses_to_replace_a_users_files(tmp_path: Path) -> None:
    out = tmp_path / "replay.toml"
    out.write_text("name = 'mine'\n")
    with pytest.raises(OrdersImportError, match="exists and was not written by fulfill"):
        import_orders(SHOPIFY, fmt="shopify", out=out)
    assert out.read_text() == "name = 'mine'\n"
    out.unlink()
    table = tmp_path / "replay.orders.parquet"
    table.write_bytes(b"user data")
    with pytest.raises(OrdersImportError, match=r"replay\.orders\.parquet exists"):
        import_orders(SHOPIFY, fmt="shopify", out=out)
    assert table.read_bytes() == b"user data" and not out.exists()
    table.unlink()
    cat = tmp_path / "replay.catalog.csv"
    cat.write_text("sku\n")
    with pytest.raises(OrdersImportError, match=r"replay\.catalog\.csv exists"):
        import_orders(SHOPIFY, fmt="shopify", out=out)
    assert cat.read_text() == "sku\n" and not out.exists() and not table.exists()
    cat.unlink()
    import_orders(SHOPIFY, fmt="shopify", out=out)
    s = import_orders(SHOPIFY, fmt="shopify", out=out)  # its own files: replaced
    assert s.orders_kept == 5


def test_formula_like_skus_match_in_table_and_catalog(tmp_path: Path) -> None:
    f = _shopify(tmp_path / "f.csv", [_row("#1", sku="=HYPERLINK(1)"), _row("#2", sku="-X")])
    import_orders(f, fmt="shopify", out=tmp_path / "r.toml")
    assert sorted(_table(tmp_path / "r.toml")["sku"]) == ["'-X", "'=HYPERLINK(1)"]
    cat = pd.read_csv(tmp_path / "r.catalog.csv", dtype=str, keep_default_na=False)
    assert {"'=HYPERLINK(1)", "'-X"} <= set(cat["sku"])


def test_mapping_errors(tmp_path: Path) -> None:
    g = DATA / "generic_orders.csv"
    with pytest.raises(OrdersImportError, match="unknown field 'colour'"):
        import_orders(g, fmt="csv", out=tmp_path / "r.toml", mapping={"Item": "colour"})
    with pytest.raises(OrdersImportError, match="the file has no column 'Nope'"):
        import_orders(g, fmt="csv", out=tmp_path / "r.toml", mapping={"Nope": "sku"})
    with pytest.raises(OrdersImportError, match=r"missing column\(s\) 'order_id', "
                                                r"'created_at', 'sku', 'zip'"):
        import_orders(g, fmt="csv", out=tmp_path / "r.toml")


def test_summary_lines(tmp_path: Path) -> None:
    s = import_orders(SHOPIFY, fmt="shopify", out=tmp_path / "replay.toml")
    lines = s.lines()
    assert lines[:3] == [
        "Read 14 rows: 11 orders.",
        "Kept 5 orders (6 lines, 10 units), placed 2024-03-05 14:22 to 2024-03-09 10:00; "
        "the replay covers 5 days.",
        "Left out 6 orders:"]
    assert f"  {OUTSIDE}: 2" in lines
    assert "Left out 2 order lines:" in lines
    assert lines[-1] == f"Wrote {tmp_path / 'replay.catalog.csv'}"


def test_read_orders_carries_order_fields_forward() -> None:
    raw = read_orders(SHOPIFY, "shopify")
    o = raw.orders.set_index("order_id")
    # #1001's second and third rows leave the order's fields blank
    assert o.loc["#1001", ["zip", "country", "channel", "row"]].tolist() == [
        "60614", "US", "web", 2]
    assert raw.lines["row"].tolist()[:3] == [2, 3, 4]
    assert (raw.lines["order"][:3] == raw.lines["order"][0]).all()
    assert "Email" not in raw.columns.values() and raw.columns["order_id"] == "Name"


def test_zip_rules() -> None:
    zips = pd.Series(["02108-1234", "021081234", "2108", "501", "'07302", "60614.0",
                      "96813", "", "M5V 2T6", "12", "1234567890", " 10001 "], dtype="str")
    z3, status = zip3_of_column(zips)
    assert z3.tolist() == ["021", "021", "021", "005", "073", "606", "968", "", "", "", "",
                           "100"]
    assert status.tolist() == [ZIP_OK] * 7 + [ZIP_BLANK] + [ZIP_UNREADABLE] * 3 + [ZIP_OK]
    # a column of 3-digit prefixes stays as it is
    z3, status = zip3_of_column(pd.Series(["501", "021", "606"], dtype="str"))
    assert z3.tolist() == ["501", "021", "606"] and (status == ZIP_OK).all()


def test_outside_contiguous_us() -> None:
    z = pd.Series(["021", "995", "967", "006", "969", "090", "340", "962", "606", "606",
                   "606"], dtype="str")
    country = pd.Series(["US"] * 8 + ["United States", "Canada", ""], dtype="str")
    prov = pd.Series([""] * 10 + ["PR"], dtype="str")
    assert is_outside_us(z, country, prov).tolist() == [False] + [True] * 7 + [False, True,
                                                                                 True]
    assert {"995", "999", "967", "968", "006", "009", "969", "090", "098", "340", "962",
            "966"} <= OUTSIDE_ZIP3


def test_timestamp_forms() -> None:
    values = pd.Series([
        "2024-03-05 14:22:10 -0500", "2024-03-05T14:22:10Z", "2024-03-05T14:22:10.5+01:00",
        "2024-03-05 14:22", "2024-03-05", "3/5/2024 2:22 PM", "3/5/2024 12:05 AM",
        "2024-03-05 14:22:10 UTC", "05.03.2024 14:22", "2024-02-30 10:00:00", "", "soon",
        "3/5/2024 13:00 PM"], dtype="str")
    t, bad = parse_timestamps(values)
    expected = ["2024-03-05T14:22:10", "2024-03-05T14:22:10", "2024-03-05T14:22:10.5",
                "2024-03-05T14:22", "2024-03-05", "2024-03-05T14:22", "2024-03-05T00:05",
                "2024-03-05T14:22:10"]
    assert bad.tolist() == [False] * 8 + [True] * 5
    np.testing.assert_array_equal(t[:8], np.array(expected, "datetime64[ns]"))


def test_written_scenario_loads(tmp_path: Path) -> None:
    from sim.scenario import load_scenario

    out = tmp_path / "replay.toml"
    import_orders(SHOPIFY, fmt="shopify", out=out)
    sc = load_scenario(out)
    assert sc.demand.mode == "replay"
    assert sc.run.start_date == dt.date(2024, 3, 5) and sc.run.horizon_days == 5
    assert {"HOODIE-BLK-M", "Ceramic Mug - Blue", "SKU-0001"} <= set(sc.tables.sku_ids)
