"""Bad input: every broken scenario gets a one-paragraph error naming file and field, exit 2.

The fixtures live in ``tests/data/bad/``: ``base.toml`` is a tiny valid scenario (two FCs, its
own five-SKU catalog, five destinations, a stock file) and most broken variants ``extends`` it
with a single override.  Variants that ``extends`` cannot express (a *missing* required field)
are full files.  The broken data files (CSV) sit beside the scenarios that use them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import EXIT_BAD_INPUT, main

BAD = Path(__file__).parent / "data" / "bad"
REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _case(scenario: str, file: str, field: str, *, id: str, xfail: str | None = None):
    """A broken scenario, the file its error must name and the field or column it must name."""
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(scenario, file, field, id=id, marks=marks)


CASES = [
    # --- scenario fields (TOML)
    _case("missing_start_date.toml", "missing_start_date.toml", "run.start_date",
          id="missing-field-run.start_date"),
    _case("missing_transit_days.toml", "missing_transit_days.toml",
          "carrier.transit_days_by_zone", id="missing-field-carrier.transit_days_by_zone"),
    _case("wrong_type_orders_per_day.toml", "wrong_type_orders_per_day.toml",
          "demand.orders_per_day", id="wrong-type-orders_per_day-string"),
    _case("negative_orders_per_day.toml", "negative_orders_per_day.toml",
          "demand.orders_per_day", id="negative-rate-orders_per_day"),
    _case("misspelled_field.toml", "misspelled_field.toml", "demand.order_per_day",
          id="unknown-field-misspelled"),
    _case("fc_without_shifts.toml", "fc_without_shifts.toml", "fcs.north.shifts",
          id="fc-without-shifts"),
    _case("channel_shares.toml", "channel_shares.toml", "demand.channels",
          id="channel-shares-not-summing-to-1"),
    _case("warmup_not_less_than_horizon.toml", "warmup_not_less_than_horizon.toml",
          "warmup_days", id="warmup-not-less-than-horizon"),
    _case("shift_end_before_start.toml", "shift_end_before_start.toml", "end_h",
          id="shift-end-before-start"),
    _case("negative_headcount.toml", "negative_headcount.toml", "fcs.west.shifts.day.pickers",
          id="negative-headcount"),
    # --- routing policy
    _case("shift_no_days.toml", "shift_no_days.toml", "fcs.west.shifts.day.days",
          id="shift-without-weekdays"),
    _case("fc_no_pickers.toml", "fc_no_pickers.toml", "fcs.west.shifts",
          id="fc-without-any-picker"),
    _case("unknown_policy.toml", "unknown_policy.toml", "routing.policy",
          id="unknown-policy-name"),
    _case("policy_module_missing.toml", "policy_module_missing.toml", "routing.policy",
          id="policy-module-does-not-exist"),
    # --- the file itself
    _case("invalid_toml.toml", "invalid_toml.toml", "line 3", id="invalid-toml-syntax"),
    _case("extends_missing.toml", "no_such_parent.toml", "extends",
          id="extends-missing-file"),
    # --- data files (CSV)
    _case("inventory_unknown_sku.toml", "inventory_unknown_sku.csv", "'sku'",
          id="inventory-unknown-sku"),
    _case("inventory_unknown_fc.toml", "inventory_unknown_fc.csv", "'fc'",
          id="inventory-unknown-fc"),
    _case("catalog_ragged_row.toml", "skus_ragged.csv", "catalog.file",
          id="catalog-malformed-csv-ragged-row"),
    _case("catalog_bad_weight.toml", "skus_bad_weight.csv", "weight_lb",
          id="catalog-non-numeric-weight"),
    _case("catalog_missing_column.toml", "skus_no_height.csv", "height_in",
          id="catalog-missing-column"),
    # --- carrier services and cartons
    _case("service_unknown.toml", "service_unknown.toml", "unknown service 'overnight'",
          id="shipping-policy-unknown-service"),
    _case("rates_missing_zone.toml", "rates_no_zone5.csv", "['5']",
          id="rate-table-missing-zone"),
    _case("rates_missing_break.toml", "rates_gap.csv", "weight break 3 lb",
          id="rate-table-missing-weight-break"),
    _case("carton_too_small.toml", "cartons_tiny.csv", "no carton holds SKU",
          id="carton-smaller-than-largest-sku"),
    _case("service_pickups_unknown.toml", "service_pickups_unknown.toml",
          "fcs.west.service_pickups: unknown service 'overnight'",
          id="fc-pickups-for-unknown-service"),
    _case("negative_surcharge.toml", "negative_surcharge.toml",
          "services.ground.residential_surcharge", id="negative-surcharge"),
    # --- inventory
    _case("lead_time_negative.toml", "lead_time_negative.toml",
          "suppliers.acme.lead_time_days.mean", id="negative-lead-time"),
    _case("s_not_below_S.toml", "s_not_below_S.toml", "s (50) must be below S (40)",
          id="s-not-below-S"),
    _case("sku_without_supplier.toml", "sku_without_supplier.toml", "has no supplier",
          id="sku-without-supplier"),
    _case("replenishment_module_missing.toml", "replenishment_module_missing.toml",
          "replenishment.classes.A.policy", id="replenishment-policy-module-missing"),
    _case("return_probability_above_one.toml", "return_probability_above_one.toml",
          "returns.probability", id="return-probability-above-one"),
    # --- order errors ([quality], service damage and fees)
    _case("mispick_probability_above_one.toml", "mispick_probability_above_one.toml",
          "quality.mispick_probability", id="mispick-probability-above-one"),
    _case("mispick_class_above_one.toml", "mispick_class_above_one.toml",
          "quality.mispick_by_class.C", id="mispick-class-probability-above-one"),
    _case("address_share_negative.toml", "address_share_negative.toml",
          "quality.address_corrected_share", id="address-corrected-share-negative"),
    _case("damage_probability_above_one.toml", "damage_probability_above_one.toml",
          "services.ground.damage_probability", id="damage-probability-above-one"),
    _case("negative_address_fee.toml", "negative_address_fee.toml",
          "services.ground.address_correction_fee", id="negative-address-correction-fee"),
    # --- intake reviews ([intake])
    _case("intake_probability_above_one.toml", "intake_probability_above_one.toml",
          "intake.review_probability", id="intake-review-probability-above-one"),
    _case("intake_review_time_negative.toml", "intake_review_time_negative.toml",
          "intake.review_min.mean", id="intake-review-time-negative"),
    _case("intake_unknown_channel.toml", "intake_unknown_channel.toml",
          "intake.channels", id="intake-unknown-channel"),
    _case("intake_cancel_probability_above_one.toml",
          "intake_cancel_probability_above_one.toml", "intake.reasons.fraud.cancelled",
          id="intake-cancel-probability-above-one"),
    _case("intake_reason_shares.toml", "intake_reason_shares.toml", "intake.reasons",
          id="intake-reason-shares-not-summing-to-1"),
    # --- international orders ([international])
    _case("intl_unknown_group.toml", "intl_unknown_group.toml",
          "services.intl.transit_days_by_group", id="international-unknown-country-group"),
    _case("intl_customs_negative.toml", "intl_customs_negative.toml",
          "international.groups.canada.customs_h.mean", id="international-customs-time-negative"),
    _case("intl_share_above_one.toml", "intl_share_above_one.toml",
          "international.share.webstore", id="international-share-above-one"),
    _case("intl_duty_rate_above_one.toml", "intl_duty_rate_above_one.toml",
          "international.groups.uk.duty_rate", id="international-duty-rate-above-one"),
    _case("intl_no_service.toml", "intl_no_service.toml", "international.groups.uk",
          id="international-group-without-service"),
    # the message must be printed literally, not as rich markup
    _case("markup_in_value.toml", "markup_in_value.toml", "[/many]",
          id="value-that-looks-like-markup"),
]


def _err_text(captured: str) -> str:
    return ANSI.sub("", captured).strip()


def _assert_one_paragraph_error(text: str, *must_contain: str) -> None:
    assert text, "nothing was printed on stderr"
    assert "Traceback" not in text, text
    assert text.startswith("error:"), text
    assert "\n\n" not in text and not re.search(r"\n[ \t]*\n", text), f"not one paragraph: {text}"
    for s in must_contain:
        assert s in text, f"{s!r} not in error message: {text}"


def test_base_scenario_is_valid(capsys):
    assert main(["validate", str(BAD / "base.toml")]) == 0
    captured = capsys.readouterr()
    assert "OK" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize(("scenario", "file", "field"), CASES)
def test_validate_bad_scenario(scenario, file, field, capsys):
    rc = main(["validate", str(BAD / scenario)])
    captured = capsys.readouterr()
    text = _err_text(captured.err)
    _assert_one_paragraph_error(text, file, field)
    assert rc == EXIT_BAD_INPUT, text
    assert "OK" not in captured.out


def test_at_least_ten_distinct_bad_files():
    files = {p.values[0] for p in CASES}
    assert len(files) >= 12
    assert all((BAD / f).is_file() for f in files)


def test_subprocess_exit_code_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(BAD / "negative_orders_per_day.toml")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    _assert_one_paragraph_error(_err_text(proc.stderr), "negative_orders_per_day.toml",
                                "demand.orders_per_day")
    assert proc.stdout == ""


def test_run_bad_scenario_exits_2_and_writes_nothing(tmp_path, capsys):
    dest = tmp_path / "r"
    rc = main(["run", str(BAD / "catalog_bad_weight.toml"), "--quiet", "--out", str(dest)])
    text = _err_text(capsys.readouterr().err)
    assert rc == EXIT_BAD_INPUT
    _assert_one_paragraph_error(text, "skus_bad_weight.csv", "weight_lb")
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ bad options, broken modules
@pytest.mark.parametrize("opts", [["--seed", "-1"], ["--days", "-2"]], ids=["seed", "days"])
def test_run_bad_override_exits_2(opts, tmp_path, capsys):
    """Bad option values are refused by the argument parser: exit 2, the option named."""
    dest = tmp_path / "r"
    with pytest.raises(SystemExit) as exc:
        main(["run", str(BAD / "base.toml"), *opts, "--quiet", "--out", str(dest)])
    assert exc.value.code == EXIT_BAD_INPUT
    text = capsys.readouterr().err
    assert f"argument {opts[0]}" in text and "Traceback" not in text
    assert not dest.exists()


def test_policy_module_with_syntax_error(tmp_path, capsys):
    (tmp_path / "broken_policy_mod_xyz.py").write_text("def route(:\n    pass\n")
    scenario = tmp_path / "broken_policy.toml"
    scenario.write_text(f"extends = {json.dumps(str(BAD / 'base.toml'))}\n"
                        "[routing]\npolicy = \"broken_policy_mod_xyz:Policy\"\n")
    rc = main(["validate", str(scenario)])
    text = _err_text(capsys.readouterr().err)
    assert rc == EXIT_BAD_INPUT
    _assert_one_paragraph_error(text, "broken_policy.toml", "routing.policy")
