"""Test helpers: open an HTML file in a real headless Chromium, and look inside PDFs.

* :func:`check_in_browser` loads a file with Playwright driving the *system* Chromium
  (:func:`reports.pdf.find_chromium`; Playwright's own browser download is not used), with
  every request that is not ``file:`` or ``data:`` aborted and recorded, and reports console
  errors, failed requests, broken images, the visible text and the title.
* :func:`pdf_page_count`, :func:`pdf_page_size_pts`, :func:`pdf_pages_to_png`,
  :func:`pdf_page_text` and :func:`png_is_blank` use poppler-utils (``pdfinfo``,
  ``pdftoppm``, ``pdftotext``), Pillow and numpy.

Tests that need these tools are marked ``@requires_chromium`` / ``@requires_browser`` /
``@requires_poppler``: they are skipped on a developer machine without the tools, but in CI
(environment variable ``CI`` set) they run and fail, because CI installs Chromium and poppler
(``.ci/run``) and a skip there would hide a broken install.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from reports.pdf import CHROMIUM_OFFLINE_ARGS, find_chromium

__all__ = ["BrowserCheck", "check_in_browser", "chromium_available", "in_ci",
           "pdf_page_count", "pdf_page_size_pts", "pdf_page_sizes_pts", "pdf_page_text",
           "pdf_pages_to_png", "playwright_available", "png_is_blank", "poppler_available",
           "requires_browser", "requires_chromium", "requires_poppler"]


def in_ci() -> bool:
    """``CI`` is set to something other than empty, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_available() -> bool:
    """A Chromium executable is found (``$FULFILL_CHROMIUM`` or on ``PATH``)."""
    exe = find_chromium()
    if exe is None:
        return False
    path = exe if os.sep in exe else shutil.which(exe)
    return path is not None and os.path.isfile(path) and os.access(path, os.X_OK)


def playwright_available() -> bool:
    """The ``playwright`` Python package is installed (its browsers are not needed)."""
    return importlib.util.find_spec("playwright") is not None


def poppler_available() -> bool:
    """``pdfinfo``, ``pdftoppm`` and ``pdftotext`` are on ``PATH``."""
    return all(shutil.which(t) for t in ("pdfinfo", "pdftoppm", "pdftotext"))


def _skip_unless(ok: bool, what: str) -> pytest.MarkDecorator:
    # in CI the tools are always installed: never skip there, let the test fail instead
    return pytest.mark.skipif(not ok and not in_ci(), reason=f"{what} not installed")


requires_chromium = _skip_unless(chromium_available(), "Chromium")
"""Skip (outside CI) when there is no Chromium."""
requires_browser = _skip_unless(chromium_available() and playwright_available(),
                                "Chromium or the playwright package")
"""Skip (outside CI) when :func:`check_in_browser` cannot run."""
requires_poppler = _skip_unless(poppler_available(), "poppler-utils (pdfinfo, pdftoppm)")
"""Skip (outside CI) when the PDF inspection helpers cannot run."""


@dataclass
class BrowserCheck:
    """What a real browser saw when it loaded a page."""

    console_errors: list[str]
    """Console messages of type error, and uncaught page errors."""
    failed_requests: list[str]
    """Requests that failed (``url: reason``); blocked requests are failures too."""
    network_requests: list[str]
    """Every request not to a ``file:`` or ``data:`` URL (all of them were blocked)."""
    images: int
    """Number of ``<img>`` elements."""
    broken_images: list[str]
    """``src`` (first 120 characters) of each ``<img>`` not loaded or with no width."""
    text: str
    """``document.body.innerText``."""
    title: str
    inline_svgs: int = 0
    """Number of ``<svg>`` elements (charts drawn inline rather than as ``<img>``)."""
    page_height_px: int = 0
    """Full height of the laid-out document in CSS pixels."""


_LOCAL = ("file:", "data:", "about:", "blob:")

_PROBE = """() => {
  const imgs = Array.from(document.images);
  return {
    images: imgs.length,
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0)
                .map(i => (i.getAttribute('src') || '').slice(0, 120)),
    svgs: document.querySelectorAll('svg').length,
    text: document.body ? document.body.innerText : '',
    height: Math.ceil(document.documentElement.scrollHeight),
  };
}"""


def check_in_browser(html_path: Path, screenshot: Path | None = None, *, width: int = 1200,
                     timeout_s: float = 30) -> BrowserCheck:
    """Load ``html_path`` in headless Chromium and report what happened.

    Any request that is not to a ``file:``/``data:`` URL is aborted and listed in
    ``network_requests``.  With ``screenshot``, a full-page PNG is written there.  Raises
    ``RuntimeError`` when there is no Chromium.
    """
    from playwright.sync_api import Request, Route, sync_playwright

    exe = find_chromium()
    if exe is None:
        raise RuntimeError("Chromium not found: apt-get install chromium, or set "
                           "FULFILL_CHROMIUM")
    html_path = Path(html_path).resolve()
    console_errors: list[str] = []
    failed: list[str] = []
    network: list[str] = []

    def route(r: Route) -> None:
        url = r.request.url
        if url.startswith(_LOCAL):
            r.continue_()
        else:
            network.append(url)
            r.abort("blockedbyclient")

    def request_failed(req: Request) -> None:
        failed.append(f"{req.url}: {req.failure}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_OFFLINE_ARGS),
                                    timeout=timeout_s * 1000)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900},
                                          service_workers="block")
            context.route("**/*", route)
            page = context.new_page()
            page.on("console",
                    lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
            page.on("requestfailed", request_failed)
            page.goto(html_path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
            probe = page.evaluate(_PROBE)
            title = page.title()
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True,
                                timeout=timeout_s * 1000)
            context.close()
        finally:
            browser.close()
    return BrowserCheck(console_errors=console_errors, failed_requests=failed,
                        network_requests=network, images=int(probe["images"]),
                        broken_images=list(probe["broken"]), text=str(probe["text"]),
                        title=title, inline_svgs=int(probe["svgs"]),
                        page_height_px=int(probe["height"]))


# ---- PDFs (poppler-utils) ----------------------------------------------------------------

def _run(cmd: list[str], timeout_s: float = 60) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout


def pdf_page_count(pdf: Path) -> int:
    """Number of pages (``pdfinfo``)."""
    m = re.search(r"^Pages:\s+(\d+)", _run(["pdfinfo", str(pdf)]), re.M)
    if m is None:
        raise RuntimeError(f"pdfinfo gave no page count for {pdf}")
    return int(m.group(1))


_SIZE = re.compile(r"^Page\s*(?:\d+\s+)?size:\s+([\d.]+) x ([\d.]+) pts", re.M)


def pdf_page_size_pts(pdf: Path) -> tuple[float, float]:
    """Width and height of the first page in points (``pdfinfo``)."""
    m = _SIZE.search(_run(["pdfinfo", str(pdf)]))
    if m is None:
        raise RuntimeError(f"pdfinfo gave no page size for {pdf}")
    return float(m.group(1)), float(m.group(2))


def pdf_page_sizes_pts(pdf: Path) -> list[tuple[float, float]]:
    """Width and height of every page in points (``pdfinfo -f 1 -l N``)."""
    n = pdf_page_count(pdf)
    out = _run(["pdfinfo", "-f", "1", "-l", str(n), str(pdf)])
    return [(float(w), float(h)) for w, h in _SIZE.findall(out)]


def pdf_page_text(pdf: Path, page: int) -> str:
    """Text of one page (1-based), laid out (``pdftotext -layout``)."""
    return _run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"])


def pdf_pages_to_png(pdf: Path, out_prefix: Path, dpi: int = 60) -> list[Path]:
    """Render every page to ``<out_prefix>-<n>.png`` (``pdftoppm``); the files in page order."""
    out_prefix = Path(out_prefix)
    _run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_prefix)])
    pat = re.compile(re.escape(out_prefix.name) + r"-(\d+)\.png$")
    pages = [(int(m.group(1)), p) for p in out_prefix.parent.iterdir()
             if (m := pat.match(p.name))]
    return [p for _, p in sorted(pages)]


def png_is_blank(png: Path, *, min_ink: float = 0.0002, tolerance: int = 8) -> bool:
    """True when nearly every pixel has the image's most common colour: fewer than
    ``min_ink`` of the pixels differ from it by more than ``tolerance`` (of 255) in a channel.
    """
    from PIL import Image

    with Image.open(png) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.int32)
    flat = a.reshape(-1, 3)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    colours, counts = np.unique(packed[::7], return_counts=True)  # a sample finds the mode
    dominant = int(colours[int(np.argmax(counts))])
    bg = np.array([dominant >> 16, (dominant >> 8) & 255, dominant & 255], dtype=np.int32)
    ink = np.any(np.abs(flat - bg) > tolerance, axis=1)
    return bool(ink.mean() < min_ink)
