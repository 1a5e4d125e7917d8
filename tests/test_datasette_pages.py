"""The plugin's pages for people: reader's view, captured page, site page, search JSON, feeds,
table pages, and the plugin package itself. Real archive files, real Datasette."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import sample_archive

from archive.datasette import charts, dates, pages, replay
from archive.datasette.serve import make_datasette
from archive.models import CaptureIn
from archive.store import Archive

ATOM = "{http://www.w3.org/2005/Atom}"
FAILED_URL = "https://news.example/2026/11/21/unreachable/"
HOSTILE_PAGE = b"""<!doctype html><html><head><title>Captured</title>
<script>document.title = "ran"</script><link rel="stylesheet" href="https://cdn.example/x.css">
<meta http-equiv="refresh" content="0; url=https://evil.example/"><base href="https://evil.example/">
</head><body onload="alert(1)"><h1>Bridge story</h1>
<p>Text <a href="https://news.example/other/">a link</a> <a href="javascript:alert(2)">js</a></p>
<img src="https://tracker.example/pixel.gif" onerror="alert(3)">
<iframe src="https://ads.example/"></iframe><form action="https://evil.example/post"></form>
</body></html>"""


def build(path: Path) -> Path:
    """The sample archive, a captured page with active content, and an article that failed."""
    sample_archive.build(path)
    with Archive(path) as archive:
        archive.record(
            CaptureIn(
                url=sample_archive.BRIDGE_URL,
                site="local",
                fetched_at=sample_archive.T0 + timedelta(days=1),
                status_code=200,
                content_type="text/html; charset=utf-8",
                encoding="utf-8",
                raw=HOSTILE_PAGE,
            ),
            sample_archive.content(
                sample_archive.BRIDGE_TITLE_V2,
                (*sample_archive.BRIDGE_V2, "A third version added a paragraph."),
            ),
        )
        archive.record(
            CaptureIn(
                url=FAILED_URL,
                site="local",
                fetched_at=sample_archive.T0 + timedelta(days=1),
                outcome="error",
                reason="ssrf-blocked",
                error="10.0.0.5 is a private address; allow it with allow_hosts",
            )
        )
    return path


@pytest.fixture
def ds(db_path):
    return make_datasette(build(db_path))


def version_ids(db_path) -> list[int]:
    with Archive(db_path, readonly=True) as archive:
        return [v["id"] for v in archive.versions(1)]


def svg_in(page: str, css_class: str) -> str:
    start = page.index(f'<svg class="{css_class}"')
    return page[start : page.index("</svg>", start)]


async def html(ds, path: str, status: int = 200) -> str:
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    return response.text


# -- the plugin package --------------------------------------------------------------------------


def test_plugin_is_a_package_whose_templates_and_static_datasette_finds():
    from datasette.plugins import get_plugins

    plugin = next(p for p in get_plugins() if p["name"] == "newsarchive")
    package = Path(pages.__file__).parent
    assert Path(plugin["templates_path"]) == package / "templates"
    assert Path(plugin["static_path"]) == package / "static"
    assert "get_metadata" not in plugin["hooks"]  # removed in Datasette 1.0
    assert {"startup", "register_routes", "render_cell"} <= set(plugin["hooks"])


async def test_css_is_served_from_the_plugin_static_folder(ds):
    page = await html(ds, "/archive/articles")
    assert 'href="/-/static-plugins/newsarchive/newsarchive.css' in page
    css = await html(ds, "/-/static-plugins/newsarchive/newsarchive.css")
    assert ".na-diff ins" in css


# -- a reader's view of one version ----------------------------------------------------------------


async def test_version_page_reads_like_the_article(ds, db_path):
    v1, v2, v3 = version_ids(db_path)
    page = await html(ds, f"/archive/-/version/{v2}")
    assert f'<h1 class="na-heading">{sample_archive.BRIDGE_TITLE_V2}</h1>' in page
    assert "By Ann Writer" in page
    assert '<time datetime="2026-11-20T08:00:00+00:00"' in page  # published
    assert "20 Nov 2026, 08:00 UTC" in page
    for paragraph in sample_archive.BRIDGE_V2:
        assert f"<p>{paragraph}</p>" in page
    assert f'href="/archive/-/version/{v1}"' in page and f'href="/archive/-/version/{v3}"' in page
    assert 'href="/archive/-/diff/1?a=1&amp;b=2"' in page  # what changed from the previous
    assert 'href="/archive/-/diff/1?a=2&amp;b=3"' in page  # what changed next
    assert 'class="na-capture-link" href="/archive/-/capture/' in page


async def test_first_and_latest_versions_say_so(ds, db_path):
    v1, _, v3 = version_ids(db_path)
    assert "first version" in await html(ds, f"/archive/-/version/{v1}")
    assert "latest version" in await html(ds, f"/archive/-/version/{v3}")


async def test_version_page_escapes_and_404s(ds):
    page = await html(ds, "/archive/-/version/3")  # the market article: <b> in its title
    assert "Rates held &lt;b&gt;steady&lt;/b&gt;" in page and "<script>alert" not in page
    await html(ds, "/archive/-/version/999", 404)
    await html(ds, "/archive/-/version/abc", 404)


async def test_history_links_to_versions_and_draws_a_time_line(ds, db_path):
    page = await html(ds, "/archive/-/history/1")
    for vid in version_ids(db_path):
        assert f'<a class="na-version-link" href="/archive/-/version/{vid}">' in page
    svg = svg_in(page, "na-timeline")
    assert svg.count("<circle") == 3
    assert svg.count('href="/archive/-/version/') == 3
    assert "headline" in svg  # the kind of change, in the dot's title


# -- the captured page ------------------------------------------------------------------------------


async def captured_id(db_path) -> int:
    with Archive(db_path, readonly=True) as archive:
        return archive.versions(1)[-1]["capture_id"]


async def test_capture_page_frames_the_page_in_a_sandbox(ds, db_path):
    capture_id = await captured_id(db_path)
    page = await html(ds, f"/archive/-/capture/{capture_id}")
    assert f'src="/archive/-/capture/{capture_id}/page" sandbox=""' in page
    # scraped HTML never reaches Datasette's own page
    assert "<h1>Bridge story</h1>" not in page and "tracker.example" not in page


async def test_captured_page_runs_and_loads_nothing(ds, db_path):
    capture_id = await captured_id(db_path)
    response = await ds.client.get(f"/archive/-/capture/{capture_id}/page")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    body = response.text
    assert "<h1>Bridge story</h1>" in body
    for active in ("<script", "onload=", "onerror=", "<iframe", "<base", "http-equiv", "<link"):
        assert active not in body, active
    assert (
        'href="https://news.example/other/"' not in body
        and "javascript:" not in body.split("title=")[0]
    )
    assert "tracker.example/pixel.gif" not in body.replace("title=", "")
    assert "link (disabled in the archive): https://news.example/other/" in body


def test_safe_page_disables_every_kind_of_link_and_load():
    page = replay.safe_page(
        '<html><head></head><body><a href="/x" onclick="y()">a</a>'
        '<img srcset="https://a/1.png 1x" src="https://a/2.png"><video poster="https://a/p">'
        '<div style="background:url(https://a/b.png)">d</div><svg><a xlink:href="/z">z</a></svg>'
        "</body></html>"
    )
    for gone in ('href="/x"', "onclick", "srcset", "https://a/2.png", "poster", "url("):
        assert gone not in page, gone
    assert '<meta charset="utf-8">' in page


async def test_capture_of_a_failed_fetch_shows_the_reason(ds):
    page = await html(ds, "/archive/-/capture/6")
    assert "ssrf-blocked" in page and "allow_hosts" in page
    assert "No HTML page was stored" in page
    await html(ds, "/archive/-/capture/6/page", 404)


# -- articles that failed ------------------------------------------------------------------------


async def test_an_article_that_was_never_archived_shows_why(ds):
    page = await html(ds, "/archive/-/history/3")
    assert "Not archived:" in page and "ssrf-blocked" in page and "allow_hosts" in page
    assert "newsarchive forget 3" in page
    articles = await html(ds, "/archive/articles")
    assert '<a href="/archive/-/history/3">0 · why?</a>' in articles


# -- a site's page -----------------------------------------------------------------------------------


async def test_site_page_charts_edits_per_day(ds):
    page = await html(ds, "/archive/-/site?name=local")
    svg = svg_in(page, "na-edits-per-day")
    counts = {
        part.split('data-day="')[1][:10]: int(part.split('data-count="')[1].split('"')[0])
        for part in svg.split("<rect")[1:]
    }
    assert {day: n for day, n in counts.items() if n} == {"2026-11-20": 1, "2026-11-21": 1}
    assert "2 edits in the 7 days shown" in page
    assert "ssrf-blocked" in page  # the article that could not be archived
    assert 'href="/archive/-/changes.atom?site=local"' in page
    await html(ds, "/archive/-/site?name=nowhere", 404)
    articles = await html(ds, "/archive/articles")
    assert '<a href="/archive/-/site?name=local">local</a>' in articles


def test_edits_per_day_fills_quiet_days_with_zero():
    days = charts.fill_days({"2026-11-20": 2, "2026-11-23": 1}, at_least=1)
    assert days == [("2026-11-20", 2), ("2026-11-21", 0), ("2026-11-22", 0), ("2026-11-23", 1)]
    svg = charts.edits_per_day(days)
    assert svg.count("<rect") == 4 and 'data-count="0"' in svg
    # a week at least, a month at most
    assert [d for d, _ in charts.fill_days({"2026-11-23": 1})][0] == "2026-11-17"
    assert len(charts.fill_days({"2026-01-01": 1, "2026-11-23": 1})) == 30


def test_time_line_escapes_labels_and_scales_dots():
    points = [
        charts.TimelinePoint(1, "2026-11-20T09:00:00+00:00", "first", 0, "/v/1"),
        charts.TimelinePoint(2, "2026-11-20T10:00:00+00:00", "<b>x</b>", 1, "/v/2?a=1&b=2"),
        charts.TimelinePoint(3, "2026-11-20T11:00:00+00:00", "rewrite", 100, "/v/3"),
    ]
    svg = charts.versions_timeline(points)
    assert "<b>x</b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert 'href="/v/2?a=1&amp;b=2"' in svg
    radii = [float(part.split('r="')[1].split('"')[0]) for part in svg.split("<circle")[1:]]
    assert radii[2] > radii[1]


# -- search ----------------------------------------------------------------------------------------


async def test_search_json(ds):
    response = await ds.client.get("/archive/-/search.json?q=pensioners")
    assert response.status_code == 200
    data = response.json()
    assert data["q"] == "pensioners"
    (hit,) = data["results"]
    assert hit["article_id"] == 1 and hit["version"] == 3
    assert "[pensioners]" in hit["snippet"] and "<mark>pensioners</mark>" in hit["snippet_html"]
    assert hit["history_url"] == "http://localhost/archive/-/history/1"
    assert (await ds.client.get("/archive/-/search.json")).json()["results"] == []
    assert (await ds.client.get("/archive/-/search.csv?q=x")).status_code == 404


async def test_search_gives_up_after_its_time_limit(ds, monkeypatch):
    monkeypatch.setattr(pages, "SEARCH_TIME_LIMIT_MS", -1)  # the deadline has already passed
    response = await ds.client.get("/archive/-/search.json?q=bridge")
    assert response.status_code == 503
    assert "took longer than" in response.json()["error"]
    page = await html(ds, "/archive/-/search?q=bridge")
    assert "took longer than" in page


# -- feeds -----------------------------------------------------------------------------------------


async def test_pages_announce_the_feed(ds):
    link = '<link rel="alternate" type="application/atom+xml"'
    assert link in await html(ds, "/archive")
    assert link in await html(ds, "/archive/versions")
    history = await html(ds, "/archive/-/history/1")
    assert f'{link} title="Recent changes (Atom)" href="/archive/-/changes.atom?site=local">' in (
        history
    )


async def test_feed_filters_by_site(ds, db_path):
    with Archive(db_path) as archive:
        archive.record(
            sample_archive.capture(sample_archive.MARKET_URL, "other", sample_archive.T0),
            sample_archive.content("Rates steady again", ("Rates held.",)),
        )
    everything = ET.fromstring((await ds.client.get("/archive/-/changes.atom")).text)
    assert len(everything.findall(f"{ATOM}entry")) == 3
    local = ET.fromstring((await ds.client.get("/archive/-/changes.atom?site=local")).text)
    entries = local.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert local.find(f"{ATOM}title").text.endswith("on local")
    assert all("(local)" in e.find(f"{ATOM}summary").text for e in entries)
    self_link = local.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == "http://localhost/archive/-/changes.atom?site=local"


# -- Datasette's table pages ---------------------------------------------------------------------


async def test_latest_versions_shows_a_search_box(ds):
    page = await html(ds, "/archive/latest_versions")
    assert 'name="_search"' in page


async def test_table_pages_show_readable_dates_and_cut_long_text(ds):
    page = await html(ds, "/archive/versions")
    assert '<time datetime="2026-11-20T09:00:00+00:00" title="2026-11-20T09:00:00+00:00">' in page
    assert "20 Nov 2026, 09:00 UTC</time>" in page
    assert '<details class="na-cut"><summary>' in page
    rows = (await ds.client.get("/archive/versions.json?_shape=array")).json()
    assert rows[0]["captured_at"].endswith("+00:00")  # JSON keeps the ISO value
    assert rows[0]["text"].count("\n\n") >= 3  # and the whole text


async def test_user_facing_tables_come_before_internal_ones(ds):
    page = await html(ds, "/archive")
    assert 'href="/archive/articles"' in page and 'href="/archive/raw_pages"' not in page
    page = await html(ds, "/archive?_show_hidden=1")
    for internal in ("raw_pages", "article_urls"):
        assert page.index('href="/archive/articles"') < page.index(f'href="/archive/{internal}"')
    assert page.index("Latest versions") < page.index('href="/archive/articles"')


def test_dates_read_as_people_read_them():
    assert dates.readable("2026-11-20T09:05:00+00:00") == "20 Nov 2026, 09:05 UTC"
    assert dates.readable("2026-11-20T09:05:00+02:00") == "20 Nov 2026, 09:05 UTC+02:00"
    assert dates.readable("2026-11-20") == "20 Nov 2026"
    assert dates.readable("not a date") == "not a date"
    assert dates.time_html("<b>") == "&lt;b&gt;"
