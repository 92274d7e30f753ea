"""``fulfill --help`` and every command's help: plain text, every argument explained, an
example at the end; every KPI a run produces has a meaning."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from sim.cli import build_parser, main
from sim.kpis import compute_kpis, kpi_doc
from tests.conftest import MakeScenario, run


def _parsers(p: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser under ``p`` (the top level and each command and sub-command) with the
    words that select it."""
    yield path, p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


PARSERS = dict(_parsers(build_parser()))


def test_every_command_is_walked() -> None:
    assert {" ".join(k) for k in PARSERS} >= {
        "", "run", "compare", "experiment", "report", "import", "import orders", "runs",
        "validate", "zones", "optimize", "optimize placement", "optimize network"}


@pytest.mark.parametrize("words", list(PARSERS), ids=lambda w: " ".join(w) or "fulfill")
def test_help_is_plain_and_ends_with_an_example(words: tuple[str, ...],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*words, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "``" not in text and ":mod:" not in text and ":func:" not in text
    assert text.startswith("usage: fulfill")
    last = text.rstrip().rsplit("\n\n", 1)[-1]  # the final paragraph: the example(s)
    assert last.startswith("Example"), last
    assert "fulfill " in last


@pytest.mark.parametrize("words", list(PARSERS), ids=lambda w: " ".join(w) or "fulfill")
def test_every_argument_has_help(words: tuple[str, ...]) -> None:
    p = PARSERS[words]
    assert p.description and p.description.strip()
    for action in p._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, name
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the one-line help of each command
                assert choice.help and choice.help.strip(), choice.dest


def test_top_level_description_is_not_the_module_docstring() -> None:
    desc = build_parser().description or ""
    assert "command line" not in desc and "``" not in desc
    assert "fulfillment" in desc.lower()


def test_every_kpi_of_a_run_has_a_meaning(make_scenario: MakeScenario) -> None:
    log = run(make_scenario({"run": {"horizon_days": 3, "warmup_days": 0.5}}))
    k = compute_kpis(log)
    assert "returns_cost" in k  # inventory KPIs included
    for name in k:
        assert kpi_doc(name).strip(), name
        assert "the same" not in kpi_doc(name), name  # each row readable on its own
    # a per-FC, per-zone or per-service row names its FC, zone or service
    for fc in log.fc_names:
        for base in ("picker_utilization", "packer_utilization", "shipments",
                     "shipment_share"):
            assert f"{base}.{fc}" in k
            assert fc in kpi_doc(f"{base}.{fc}")
    assert "zone 3" in kpi_doc("zone_share.3")
    for service in log.meta["service_names"]:  # type: ignore[attr-defined]
        for base in ("service_share", "service_on_time_rate"):
            assert service in kpi_doc(f"{base}.{service}")
    assert kpi_doc("no_such_kpi") == ""
