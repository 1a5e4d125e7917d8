"""End to end in a real browser: crawl the local demo site, serve the archive, read a diff.

The archive is built the way a user builds one: ``newsarchive crawl`` against the bundled news
site on 127.0.0.1, the site's clock moved past a scheduled correction, ``newsarchive crawl
--all`` again. ``newsarchive serve`` runs as a separate process, and headless Chromium (Debian's
package; Playwright never downloads a browser here) searches, opens the history and the diff
like a person would. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from archive import diff as diffmod
from archive.store import Archive
from scraper.demo.run import DEMO_START, demo_config_text
from scraper.demo.site import DemoSite

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Boilerplate of the demo site's pages: none of it may reach the archived text.
BOILERPLATE = ("Latest news", "Must read", "Most read", "Advertisement", "Newsletter", "Comments")


NEWSARCHIVE = [sys.executable, "-c", "from scraper.cli import main; main()"]


def run_cli(*args: str) -> str:
    """Run ``newsarchive`` in its own process, as a user would (and away from the event loop
    the sync Playwright API keeps running in this thread)."""
    result = subprocess.run(
        [*NEWSARCHIVE, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def write_config(tmp: Path, site: DemoSite, db: Path) -> Path:
    base = site.base_url
    config = tmp / "config.toml"
    config.write_text(
        demo_config_text(base, site.host_port, db, per_host_delay=0, retries=0),
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def crawled_archive(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "news.db"
    with DemoSite(start=DEMO_START) as site:
        config = write_config(tmp, site, db)
        run_cli("crawl", "--config", str(config), "--no-progress")
        site.advance(timedelta(minutes=30))  # past the site's first scheduled correction
        run_cli("crawl", "--config", str(config), "--all", "--no-progress")
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(crawled_archive):
    """``newsarchive serve`` in its own process; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*NEWSARCHIVE, "serve", "--db", str(crawled_archive), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"newsarchive serve exited: {process.stderr.read()}")
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("newsarchive serve did not answer within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def edited_article(db: Path) -> tuple[dict, str, str]:
    """The article the correction edited, and the words removed and added by it."""
    with Archive(db, readonly=True) as archive:
        rows = list(archive.db.query("select * from articles where version_count > 1"))
        assert rows, "the second crawl should have archived the site's correction"
        for article in rows:  # the live blog's new post is an edit too: find the one-word one
            old, new = archive.versions(article["id"])[-2:]
            diff = diffmod.diff_versions(old["text"], new["text"])
            ops = [w for b in diff.blocks for w in b.words if w.tag != "equal"]
            if len(ops) == 1 and not any(b.kind == "added" for b in diff.blocks):
                return article, ops[0].old_text, ops[0].new_text
    raise AssertionError("no version made by a one-word correction")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


@pytest.fixture
def phone(browser):
    """A 390 px wide screen, as on a phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def fits_width(page) -> None:
    """Nothing on the page makes it wider than the screen."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} is {overflow} px wider than the screen"


def test_reader_view_and_captured_page_in_a_browser(page, served, crawled_archive):
    article, _, _ = edited_article(crawled_archive)
    database = crawled_archive.stem
    page.goto(f"{served}/{database}/-/history/{article['id']}")
    timeline = page.locator("svg.na-timeline circle")
    assert timeline.count() == article["version_count"]
    page.get_by_role("link", name="v2", exact=True).click()
    page.wait_for_url(re.compile(r"/-/version/\d+$"))
    assert page.locator("h1").inner_text() == article["title"]
    paragraphs = page.locator(".na-text p")
    assert paragraphs.count() >= 3
    assert page.get_by_role("link", name="what changed from it").count() == 1
    shot(page, "5-version")

    page.locator("a.na-capture-link").click()
    page.wait_for_url(re.compile(r"/-/capture/\d+$"))
    frame = page.frame_locator("iframe.na-replay")
    assert frame.locator("h1").first.inner_text()  # the captured page is shown
    # inert: no link leads anywhere, no script ran, nothing was fetched from elsewhere
    assert frame.locator("a[href]").count() == 0
    assert page.locator("iframe.na-replay").get_attribute("sandbox") == ""
    shot(page, "6-capture")


def test_site_page_and_table_pages_in_a_browser(page, served, crawled_archive):
    database = crawled_archive.stem
    page.goto(f"{served}/{database}/articles")
    page.locator("td.col-site a").first.click()
    page.wait_for_url(re.compile(r"/-/site\?name="))
    bars = page.locator("svg.na-edits-per-day rect.na-day")
    assert bars.count() >= 1
    total = sum(int(bars.nth(i).get_attribute("data-count")) for i in range(bars.count()))
    assert str(total) in page.locator("figcaption").inner_text()
    shot(page, "7-site")

    page.goto(f"{served}/{database}/versions")
    glossary = page.locator("details.na-glossary")
    assert glossary.count() == 1 and glossary.get_attribute("open") is None
    search_box = page.locator("input[name=_search]")
    assert search_box.is_visible()
    assert search_box.bounding_box()["y"] < 900  # on the first screen, not under a glossary
    rows = page.locator("table.rows-and-columns tbody tr").count()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 300 * rows + 1500, f"{rows} rows take {height} px"
    shot(page, "8-versions-table")

    page.goto(f"{served}/{database}/latest_versions")
    assert page.locator("input[name=_search]").is_visible()
    page.goto(f"{served}/{database}")
    shot(page, "9-database")


def test_pages_work_on_a_phone(phone, served, crawled_archive):
    article, _, _ = edited_article(crawled_archive)
    database = crawled_archive.stem
    phone.goto(f"{served}/{database}/-/diff/{article['id']}?a=1&b=2")
    old, new = phone.locator("table.na-table > thead th").all()
    old_box, new_box = old.bounding_box(), new.bounding_box()
    assert old_box["x"] + old_box["width"] <= new_box["x"] + 1  # headers side by side
    for header in (old, new):  # and their text inside them, not over the other one
        assert header.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    fits_width(phone)
    shot(phone, "phone-1-diff")
    for path, name in (
        (f"-/history/{article['id']}", "phone-2-history"),
        (f"-/search?q={article['title'].split()[0]}", "phone-3-search"),
        (f"-/site?name={article['site']}", "phone-4-site"),
    ):
        phone.goto(f"{served}/{database}/{path}")
        fits_width(phone)
        shot(phone, name)
    phone.goto(f"{served}/{database}/-/history/{article['id']}")
    phone.locator("a.na-version-link").first.click()
    fits_width(phone)
    shot(phone, "phone-5-version")


def test_search_history_and_diff_in_a_browser(page, served, crawled_archive):
    article, removed, added = edited_article(crawled_archive)
    database = crawled_archive.stem
    words = sorted(re.findall(r"[A-Za-z]{6,}", article["title"]), key=len, reverse=True)
    query = words[0]

    page.goto(f"{served}/{database}/-/search")
    page.get_by_label("Search words").fill(query)
    page.get_by_label("Search words").press("Enter")
    page.wait_for_url(re.compile(r"/-/search\?q="))
    results = page.locator("li.na-result")
    assert results.count() >= 1
    marks = page.locator(".na-snippet mark").all_inner_texts()
    shot(page, "1-search")
    assert query.lower() in [m.lower() for m in marks]

    page.locator("li.na-result").filter(has_text=article["title"]).get_by_role(
        "link", name="history"
    ).first.click()
    page.wait_for_url(re.compile(rf"/-/history/{article['id']}$"))
    assert page.locator("h1").inner_text() == article["title"]
    history = page.locator("table.na-history tbody tr")
    assert history.count() == article["version_count"]
    assert "correction" in history.first.inner_text()  # the weekday of the first paragraph
    shot(page, "2-history")

    page.get_by_role("link", name="diff with v1").click()
    page.wait_for_url(re.compile(rf"/-/diff/{article['id']}\?a=1&b=2"))
    deleted = page.locator("td.na-old del")
    inserted = page.locator("td.na-new ins")
    assert deleted.all_inner_texts() == [removed]
    assert inserted.all_inner_texts() == [added]
    # the changed words are visibly highlighted, not just marked up
    assert inserted.first.evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(187, 247, 208)"
    )
    assert deleted.first.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    content = page.locator("section.content").inner_text()
    for boilerplate in BOILERPLATE:
        assert boilerplate not in content
    shot(page, "3-diff")

    page.get_by_role("link", name="inline").click()
    paragraph = page.locator("p.na-edited")
    assert paragraph.count() == 1
    assert paragraph.locator("del").inner_text() == removed
    assert paragraph.locator("ins").inner_text() == added
    shot(page, "4-diff-inline")
