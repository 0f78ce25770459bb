"""Open every page of the built book in headless Chromium, as a reader's browser does.

Checked per page: no errors in the browser's console, every image loads, the Colab link of a
chapter opens its own notebook, and solutions stay collapsed until the reader opens them; and the
search page finds each chapter by a word of its own. Screenshots of a few pages are kept in
``_build/screenshots/`` (CI keeps them as artifacts).

The site is served over HTTP from localhost (search needs it) with every other host unreachable,
as on the CI machines: the one image that cannot load offline is Colab's badge, which Google
serves, and it is the only image allowed to come from elsewhere.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
import time
from pathlib import Path

import nbformat
import pytest

import colab
from book_site import CHAPTERS, PAGES, ROOT

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
SCREENSHOTS = ROOT / "_build" / "screenshots"
SCREENSHOT_PAGES = {"book/intro", "chapters/04_activations", "book/results"}


def browser_binaries() -> tuple[str, str] | None:
    browser = next(
        (
            shutil.which(name)
            for name in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(name)
        ),
        None,
    )
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser():
    binaries = browser_binaries()
    if binaries is None:
        message = (
            "headless Chromium and chromedriver are needed: "
            "apt-get install chromium chromium-driver (.ci/run does it)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binaries[0]
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1300,1800",
        # every host but this machine is unreachable, online or not (see the module docstring)
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(binaries[1]), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def served(site):
    """Serve the built site on a free localhost port; yield its base URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def visits(browser, served):
    """Open each page once; return what the browser saw of it, by page."""
    seen = {}
    for page in PAGES:
        browser.get(f"{served}/{page}.html")
        wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
        wait_until(lambda: browser.execute_script(MATH_TYPESET), timeout=20)
        seen[page] = {
            "console": [
                entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
            ],
            "images": browser.execute_script(IMAGES),
            "colab": browser.execute_script(COLAB_LINKS),
            "collapsed": browser.execute_script(COLLAPSED),
        }
        if page in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(SCREENSHOTS / f"{page.replace('/', '_')}.png"))
    return seen


def wait_until(condition, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"the page did not get there in {timeout} s")
        time.sleep(0.1)


# A page is ready when MathJax (served by the site) has typeset it, or when it has no math.
MATH_TYPESET = """
    if (!document.querySelector('.math')) return true;
    return !!(window.MathJax && MathJax.startup && MathJax.startup.document
              && document.querySelector('mjx-container'));
"""
IMAGES = """
    return Array.from(document.images).map(img => ({
        src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0}));
"""
COLAB_LINKS = """
    return Array.from(document.querySelectorAll('a[href*="colab.research.google.com/github"]'))
        .map(a => a.href);
"""
# Solutions: sphinx-design dropdowns (prose) and myst-nb's hide-cell (code); both are <details>.
COLLAPSED = """
    const solutions = Array.from(document.querySelectorAll(
        'details.sd-dropdown, .tag_hide-cell > details'));
    return solutions.map(d => ({open: d.open, bodyShown: Array.from(d.children)
        .filter(c => c.tagName !== "SUMMARY").some(c => c.checkVisibility())}));
"""


@pytest.mark.parametrize("page", PAGES)
def test_the_console_shows_no_errors(visits, page):
    errors = [
        entry["message"] for entry in visits[page]["console"] if COLAB_BADGE not in entry["message"]
    ]
    assert errors == [], f"{page}: console errors {errors}"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(visits, page):
    images = visits[page]["images"]
    broken = [img["src"] for img in images if not img["loaded"] and img["src"] != COLAB_BADGE]
    assert broken == [], f"{page}: images that do not load: {broken}"
    outside = {img["src"] for img in images if not img["src"].startswith("http://127.0.0.1")}
    assert outside <= {COLAB_BADGE}, f"{page}: images from other hosts: {outside}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_the_colab_links_open_the_chapters_own_notebook(visits, page):
    links = visits[page]["colab"]
    assert links, f"{page}: no Colab link"
    assert set(links) == {colab.colab_url(ROOT / f"{page}.ipynb")}


@pytest.mark.parametrize("page", CHAPTERS)
def test_solutions_stay_collapsed(visits, page):
    solutions = visits[page]["collapsed"]
    assert solutions, f"{page}: no collapsed solution found"
    assert not any(s["open"] or s["bodyShown"] for s in solutions), f"{page}: {solutions}"


def own_word(page: str) -> str:
    """Return a long word of the chapter's prose that no other page of the book uses."""

    def words(path: Path) -> set[str]:
        if path.suffix == ".ipynb":
            text = " ".join(
                c.source for c in nbformat.read(path, 4).cells if c.cell_type == "markdown"
            )
        else:
            text = path.read_text(encoding="utf-8")
        return set(re.findall(r"\b[a-z]{9,}\b", text))

    def source(p: str) -> Path:
        return next(ROOT.glob(f"{p}.*"))

    others = set().union(*(words(source(p)) for p in PAGES if p != page))
    candidates = sorted(words(source(page)) - others)
    assert candidates, f"{page}: no word of its own to search for"
    return candidates[0]


@pytest.mark.parametrize("page", CHAPTERS)
def test_search_finds_each_chapter_by_a_word_of_its_own(browser, served, page):
    word = own_word(page)
    browser.get(f"{served}/search.html?q={word}")
    found = []

    def search_finished() -> bool:  # Sphinx lists the results one by one, then says so
        summary = browser.execute_script(
            "const s = document.querySelector('.search-summary'); return s ? s.innerText : '';"
        )
        found[:] = browser.execute_script(
            "return Array.from(document.querySelectorAll('#search-results li a'))"
            ".map(a => a.getAttribute('href'));"
        )
        return summary.startswith(("Search finished", "Your search did not match"))

    wait_until(search_finished, timeout=20)
    assert any(href.split("?")[0].endswith(f"{page}.html") for href in found), (word, found)


def test_the_collapse_check_sees_a_solution_the_reader_opened(browser, served):
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/{CHAPTERS[0]}.html")
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete")
    browser.find_element(By.CSS_SELECTOR, ".tag_hide-cell > details > summary").click()
    wait_until(lambda: any(s["open"] and s["bodyShown"] for s in browser.execute_script(COLLAPSED)))
