"""Hostile input: a generated corpus of broken, odd and malicious scenario files.

``tests/hostile_corpus.py`` writes the corpus (at least 300 scenario files, one attack each:
inf/nan/huge/negative numbers, wrong types, missing and unknown keys, control characters and
markup in names, binary junk, deep nesting, ``extends`` cycles and chains, path traversal,
hostile CSVs, user code that must not be imported or that fails) and says of each file whether
it must be refused (exit 2, one paragraph naming the file) or accepted (exit 0).
``tests/hostile_worker.py`` runs ``fulfill validate FILE`` and, when that passes,
``fulfill run FILE --days 1`` on each, in two worker processes, and judges the outcome.

Whatever the file: no traceback, no hang (60 s per command), no raw escape byte from user
text in the output, no file created by a hostile policy (``PWNED*``) or outside the results
folder (``ESCAPED*``), no results with ids wrapped round by a too narrow integer type.

The default run takes a fixed sample of about 45 cases covering every category; the whole
corpus is ``-m slow``.  From the command line (a report of every failing case)::

    python tests/hostile_worker.py --run /tmp/hostile            # whole corpus
    python tests/hostile_worker.py --run /tmp/hostile --sample   # the sample
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.hostile_corpus import Case, generate, sample, to_json
from tests.hostile_worker import failures, report, run_cases

# what each requirement of the issue rules out, by kind of failure (see hostile_worker.failures)
REQUIREMENTS = {
    "no tracebacks or crashed workers": ("traceback", "crash"),
    "no hangs (60 s per command)": ("hang",),
    "no marker files (code run from cwd/stdlib, results written outside results/)":
        ("marker", "stdlib-imported"),
    "no raw escape bytes from user text": ("raw-escape",),
    "refused files exit 2 with one paragraph naming the file": (
        "wrongly-accepted", "bad-message", "wrong-exit:refuse"),
    "accepted files exit 0, names shown literally, sound results": (
        "wrongly-refused", "not-shown-literally", "corrupt-output", "wrong-exit:accept"),
}


def _check(cases: list[Case], root: Path) -> None:
    cj = to_json(cases)
    results = run_cases(cj, root, workers=2)
    by_case = {c["id"]: c for c in cj}
    broken: dict[str, list[str]] = {req: [] for req in REQUIREMENTS}
    for res in results:
        case = by_case[res["id"]]
        for kind, detail in failures(case, res):
            key = f"{kind}:{case['expect']}" if kind == "wrong-exit" else kind
            for req, kinds in REQUIREMENTS.items():
                if key in kinds:
                    broken[req].append(f"  {case['id']!r} [{case['expect']}, {case['category']}] "
                                       f"{case['what'][:80]}\n      -> {detail}")
    if any(broken.values()):
        lines = [f"{len(cases)} hostile cases; requirements broken:"]
        for req, items in broken.items():
            if items:
                lines.append(f"{req}: {len(items)}")
                lines += items
        lines.append("\nby kind and category:\n" + report(cj, results, limit_per_group=3))
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    root = tmp_path_factory.mktemp("hostile")
    return root, generate(root)


def test_corpus_size_and_mix(corpus: tuple[Path, list[Case]]) -> None:
    root, cases = corpus
    files = {c.file for c in cases}
    assert len(files) >= 300
    kinds = Counter(c.expect for c in cases)
    assert set(kinds) == {"refuse", "accept"} and kinds["accept"] >= 100, kinds
    assert all(c.refuse_at in ("validate", "run") for c in cases)
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"
    written = [c for c in cases if c.file.is_relative_to(root)]
    assert sum(1 for c in written if c.file.is_file()) >= 300
    categories = {c.category for c in cases}
    assert categories <= {c.category for c in sample(cases)}, "the sample misses a category"


def test_corpus_is_deterministic(corpus: tuple[Path, list[Case]], tmp_path: Path) -> None:
    _, cases = corpus
    again = generate(tmp_path / "again")
    assert [(c.id, c.expect, c.what) for c in again] == [(c.id, c.expect, c.what) for c in cases]


def test_hostile_sample(corpus: tuple[Path, list[Case]]) -> None:
    """About 45 cases covering every category (the key attacks always among them)."""
    root, cases = corpus
    _check(sample(cases), root)


@pytest.mark.slow
def test_hostile_corpus(corpus: tuple[Path, list[Case]]) -> None:
    """The whole corpus (1,600 files; a few minutes on two cores)."""
    root, cases = corpus
    _check(cases, root)
