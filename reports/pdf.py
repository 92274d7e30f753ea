"""Print a self-contained HTML report to PDF with headless Chromium.

How the PDF is made, and why this way
-------------------------------------
Three candidates were weighed:

* **Chromium's own command line** (``chromium --headless --print-to-pdf=OUT
  --no-pdf-header-footer file://IN``) -- chosen.  It needs nothing from Python beyond the
  standard library, honours the CSS ``@page { size: ...; margin: ... }`` of the page (checked:
  ``size: letter`` gives a 612 x 792 pt MediaBox, ``size: A4`` 594.96 x 841.92 pt, within
  half a point of ISO A4's 595.28 x 841.89), prints backgrounds, applies ``break-inside`` /
  ``break-before`` and adds no header or footer.  It has no paper-size switch, so the paper is
  chosen by printing a temporary copy of the HTML with one extra
  ``<style>@page{size:...}</style>`` just before ``</head>``; coming last, it overrides the
  report's own ``size`` and keeps its margins.  One print takes about half a second.
* **Playwright** (``page.pdf(format=..., print_background=True)``) drives the same Chromium
  and gives the same PDF, but it would make Playwright (and its node driver, ~100 MB) a runtime
  dependency of the product for no gain.  The test suite uses Playwright to inspect the HTML
  in a real browser (``tests/browser.py``); the product does not need it.
* **WeasyPrint** is not installed and would be a new dependency with its own CSS engine
  (and native Pango/Cairo libraries): the PDF would then come from a different renderer than
  the browser that the tests check the HTML in.  With Chromium the HTML that a reader opens
  and the PDF are drawn by the same engine.

Chromium runs offline and leaves nothing behind: a fresh profile in a temporary folder
(removed afterwards), background networking, component updates, sync and QUIC off, and every
host name (IP literals included) resolves to "not found" (``--host-resolver-rules``), so even
a report that wrongly referenced an ``http(s)://`` resource could not reach the network.  The
process runs in its own process group and the whole group is killed on timeout.

The HTML must be self-contained (CSS inline, images as ``data:`` URIs): it is printed from a
temporary copy, so relative URLs would not resolve.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

__all__ = ["CHROMIUM_OFFLINE_ARGS", "PAPER_SIZES_PT", "PdfError", "find_chromium",
           "html_to_pdf"]

Paper = Literal["letter", "a4"]

PAPER_SIZES_PT: dict[str, tuple[float, float]] = {"letter": (612.0, 792.0),
                                                  "a4": (595.28, 841.89)}
"""Portrait page width and height in PostScript points (1/72 in)."""

_CSS_PAGE_SIZE = {"letter": "letter", "a4": "A4"}
_SIZE_TOLERANCE_PT = 2.0  # Chromium rounds A4 to whole CSS pixels: 594.96 x 841.92

CHROMIUM_OFFLINE_ARGS: tuple[str, ...] = (
    "--no-sandbox",  # runs as root in containers / CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a 64 MB /dev/shm
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name or IP resolves: no network
)
"""Flags (besides ``--headless`` and ``--user-data-dir``) that keep Chromium offline and
quiet; ``tests/browser.py`` launches Chromium with the same ones."""

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

INSTALL_HINT = ("Install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set "
                "FULFILL_CHROMIUM to the path of a Chromium or Google Chrome executable.")


class PdfError(Exception):
    """The PDF could not be made; the message says why, for the user."""


def find_chromium() -> str | None:
    """The Chromium to print with: ``$FULFILL_CHROMIUM`` if set (returned as given, even if it
    does not exist, so that a wrong setting is reported rather than silently ignored), else the
    first of ``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable``
    on ``PATH``; ``None`` if there is none."""
    env = os.environ.get("FULFILL_CHROMIUM", "").strip()
    if env:
        return env
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _with_page_size(html: bytes, paper: str) -> bytes:
    """``html`` with ``<style>@page{size:...}</style>`` before the first ``</head>`` (or at
    the start when there is none, where it still applies)."""
    style = f"<style>@page{{size:{_CSS_PAGE_SIZE[paper]}}}</style>".encode("ascii")
    m = re.search(rb"</head\s*>", html, re.IGNORECASE)
    if m is None:
        return style + html
    return html[:m.start()] + style + html[m.start():]


_NOISE = re.compile(r"dbus|Fontconfig|bytes written to file|unexpected operator|^\s*$")


def _stderr_tail(log: Path, lines: int = 12, chars: int = 2000) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    kept = [ln for ln in text.splitlines() if not _NOISE.search(ln)]
    return "\n".join(kept[-lines:])[-chars:]


_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")


def _check_pdf(path: Path, paper: str) -> None:
    """Raise PdfError unless ``path`` is a PDF whose pages are ``paper``-sized (the sizes are
    read from the MediaBoxes that Chromium writes uncompressed; if none are found the size is
    not checked)."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfError(f"Chromium wrote {len(data)} bytes that are not a PDF.")
    want_w, want_h = PAPER_SIZES_PT[paper]
    for m in _MEDIABOX.finditer(data):
        x0, y0, x1, y1 = (float(v) for v in m.groups())
        w, h = x1 - x0, y1 - y0
        if abs(w - want_w) > _SIZE_TOLERANCE_PT or abs(h - want_h) > _SIZE_TOLERANCE_PT:
            raise PdfError(f"Chromium printed {w:g} x {h:g} pt pages, not {paper} "
                           f"({want_w:g} x {want_h:g} pt).")


def html_to_pdf(html_path: Path, pdf_path: Path, *, paper: Paper = "letter",
                timeout_s: float = 60) -> None:
    """Print the self-contained HTML file ``html_path`` to ``pdf_path`` on ``paper``
    (``"letter"`` or ``"a4"``, portrait; the report's own ``@page`` margins are kept).

    The PDF is written to a temporary file next to ``pdf_path`` and moved into place only when
    it is complete, so ``pdf_path`` is either the whole new PDF or untouched.  Whether
    ``pdf_path`` may be overwritten is the caller's decision.  Raises :class:`PdfError` (with
    Chromium's last messages) when Chromium is missing, fails or takes longer than
    ``timeout_s`` seconds (it is then killed); ``ValueError`` for an unknown ``paper``.
    """
    paper_key = str(paper).lower()
    if paper_key not in PAPER_SIZES_PT:
        raise ValueError(f"paper must be 'letter' or 'a4', not {paper!r}")
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    if not html_path.is_file():
        raise PdfError(f"No HTML file to print at {html_path}.")
    exe = find_chromium()
    if exe is None:
        raise PdfError(f"Cannot make the PDF: Chromium was not found. {INSTALL_HINT}")
    if os.sep in exe and not os.access(exe, os.X_OK):
        raise PdfError(f"Cannot make the PDF: Chromium was not found at {exe} "
                       f"(FULFILL_CHROMIUM). {INSTALL_HINT}")
    out_dir = pdf_path.parent.resolve()
    if not out_dir.is_dir():
        raise PdfError(f"Cannot write the PDF: the folder {out_dir} does not exist.")

    part = out_dir / f".{pdf_path.name}.{secrets.token_hex(6)}.part"
    with tempfile.TemporaryDirectory(prefix="fulfill-pdf-", ignore_cleanup_errors=True) as tmp_s:
        tmp = Path(tmp_s)
        page = tmp / (html_path.stem + ".html")
        page.write_bytes(_with_page_size(html_path.read_bytes(), paper_key))
        log = tmp / "chromium.log"
        cmd = [exe, "--headless", *CHROMIUM_OFFLINE_ARGS, f"--user-data-dir={tmp / 'profile'}",
               "--no-pdf-header-footer", f"--print-to-pdf={part}", page.as_uri()]
        try:
            with open(log, "wb") as log_f:
                try:
                    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_f,
                                            stderr=subprocess.STDOUT, start_new_session=True)
                except OSError as e:
                    raise PdfError(f"Cannot start Chromium ({exe}): {e}. {INSTALL_HINT}") from e
                try:
                    rc = proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    # the leader is not reaped yet, so the group id is still ours to kill
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()
                    raise PdfError(
                        f"Chromium did not finish printing {html_path.name} within "
                        f"{timeout_s:g} s and was stopped.\n{_stderr_tail(log)}".rstrip()
                    ) from None
            if rc != 0 or not part.is_file() or part.stat().st_size == 0:
                raise PdfError(f"Chromium could not print {html_path.name} to PDF "
                               f"(exit status {rc}).\n{_stderr_tail(log)}".rstrip())
            _check_pdf(part, paper_key)
            os.replace(part, pdf_path)
        finally:
            part.unlink(missing_ok=True)
