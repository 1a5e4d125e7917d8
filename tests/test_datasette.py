"""The Datasette plugin, exercised through ``datasette.client`` on a real archive file."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest
import sample_archive
import sqlite_utils

from archive.datasette import metadata as archive_metadata
from archive.datasette import web_url
from archive.datasette.serve import ArchiveServeError, make_datasette
from archive.models import CaptureIn
from archive.store import Archive

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def ds(db_path):
    sample_archive.build(db_path)
    return make_datasette(db_path)


def bridge_id(db_path) -> int:
    with Archive(db_path, readonly=True) as archive:
        return archive.article(sample_archive.BRIDGE_URL)["id"]


def facet_results(data: dict) -> dict:
    """Facets by column, as Datasette 0.65 and 1.0 give them."""
    facets = data["facet_results"]
    return facets["results"] if "results" in facets and "timed_out" in facets else facets


async def get_json(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


# -- serving -----------------------------------------------------------------------------------


async def test_archive_is_served_read_only_never_immutable(ds, db_path):
    db = ds.get_database("archive")
    assert db.is_mutable
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.execute("insert into crawls (site) values ('x')")
    with pytest.raises(ArchiveServeError):
        make_datasette(db_path, immutables=[str(db_path)])


async def test_served_archive_sees_writes_made_while_serving(ds, db_path):
    assert len(await get_json(ds, "/archive/articles.json?_shape=array")) == 2
    with Archive(db_path) as archive:
        archive.record(
            sample_archive.capture("https://news.example/new/", "local", sample_archive.T0),
            sample_archive.content("Fresh story", ("A new article appeared.",)),
        )
    assert len(await get_json(ds, "/archive/articles.json?_shape=array")) == 3


def test_newsarchive_serve_follows_a_live_archive(db_path):
    """``newsarchive serve`` in its own process sees what a writer adds while it serves."""
    sample_archive.build(db_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-c", "from scraper.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/archive"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                response = httpx.get(f"{base}/articles.json?_shape=array", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "newsarchive serve did not start"
                time.sleep(0.2)
        assert len(response.json()) == 2
        with Archive(db_path) as archive:  # a crawl writing while the server reads
            archive.record(
                sample_archive.capture("https://news.example/new/", "local", sample_archive.T0),
                sample_archive.content("Fresh story", ("A new article appeared.",)),
            )
        assert len(httpx.get(f"{base}/articles.json?_shape=array", timeout=5).json()) == 3
        history = httpx.get(f"{base}/-/history/1", timeout=5)
        assert history.status_code == 200 and "diff with v1" in history.text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_missing_file_is_a_typed_error(tmp_path):
    with pytest.raises(ArchiveServeError):
        make_datasette(tmp_path / "nothing.db")


# -- metadata ----------------------------------------------------------------------------------


async def test_table_pages_have_titles_and_a_folded_glossary(ds):
    page = (await ds.client.get("/archive/versions")).text
    assert "<h1>Versions</h1>" in page
    glossary = page.index('<details class="na-glossary"><summary>What the columns mean')
    assert page.index("<dt>change_kind</dt>", glossary) > glossary
    # Datasette's own unfolded glossary is not printed above the rows
    assert 'class="column-descriptions"' not in page
    assert page.index('name="_search"') > glossary
    home = (await ds.client.get("/")).text
    assert "<h1>News archive</h1>" in home


async def test_articles_sorted_by_last_changed_with_facets(ds):
    data = await get_json(
        ds, "/archive/articles.json?_shape=objects&_extra=facet_results,human_description_en"
    )
    assert data["human_description_en"] == "sorted by last_changed descending"
    assert [r["id"] for r in data["rows"]] == [1, 2]
    facets = facet_results(data)
    assert {v["value"] for v in facets["site"]["results"]} == {"local", "other"}
    assert {v["value"] for v in facets["status"]["results"]} == {"live"}


async def test_versions_faceted_by_change_kind(ds):
    data = await get_json(ds, "/archive/versions.json?_extra=facet_results")
    kinds = {v["value"]: v["count"] for v in facet_results(data)["change_kind"]["results"]}
    assert kinds == {"first": 2, "headline": 1}


async def test_versions_search_uses_fts(ds):
    rows = await get_json(ds, "/archive/versions.json?_search=pensioners&_shape=array")
    assert [(r["article_id"], r["version"]) for r in rows] == [(1, 2)]
    # user input with FTS syntax is escaped, not an error
    response = await ds.client.get('/archive/versions.json?_search="unbalanced')
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["versions", "latest_versions", "search"])
async def test_search_without_words_finds_nothing_rather_than_failing(ds, path):
    for query in ('"', '""', "( -"):
        key = "q" if path == "search" else "_search"
        response = await ds.client.get(f"/archive/{path}.json", params={key: query})
        assert response.status_code == 200, (query, response.text)
        assert response.json()["rows"] == []


async def test_table_search_follows_the_cli_query_rules(ds):
    # a trailing * is a prefix search, as in `newsarchive search`
    rows = await get_json(ds, "/archive/versions.json?_search=pensio*&_shape=array")
    assert [(r["article_id"], r["version"]) for r in rows] == [(1, 2)]
    rows = await get_json(ds, "/archive/search.json?q=pensio*&_shape=array")
    assert [r["version"] for r in rows] == [2]


async def test_table_search_looks_at_the_newest_matches_only(ds, monkeypatch):
    import archive.datasette as plugin

    every = await get_json(ds, "/archive/versions.json?_search=ferry&_shape=array")
    assert sorted(r["version"] for r in every) == [1, 2]
    monkeypatch.setattr(plugin, "SEARCH_BOUND", 1)
    data = await get_json(
        ds, "/archive/versions.json?_search=ferry&_shape=objects&_extra=human_description_en"
    )
    assert [r["version"] for r in data["rows"]] == [2]
    assert "the newest 1 of more than 1 matches" in data["human_description_en"]
    monkeypatch.setattr(plugin, "SEARCH_BOUND", 2)  # every match is shown: no bound to tell
    data = await get_json(
        ds, "/archive/versions.json?_search=ferry&_shape=objects&_extra=human_description_en"
    )
    assert len(data["rows"]) == 2
    assert 'where text matches "ferry" sorted' in data["human_description_en"]


async def test_latest_versions_search_matches_latest_text_only(ds):
    rows = await get_json(ds, "/archive/latest_versions.json?_search=ferry&_shape=array")
    assert [r["url"] for r in rows] == [sample_archive.BRIDGE_URL]
    assert await get_json(ds, "/archive/latest_versions.json?_search=six&_shape=array") == []
    page = (await ds.client.get("/archive/latest_versions?_search=ferry")).text
    assert 'name="_search" value="ferry"' in page


async def test_a_new_search_from_the_search_box_replaces_the_one_shown(ds):
    """The page's form carries the bounded search as a hidden field beside the search box;
    what the box says wins (an emptied box shows every row)."""
    page = (await ds.client.get("/archive/versions?_search=pensioners")).text
    assert 'type="hidden" name="_na_search" value="pensioners"' in page
    rows = await get_json(
        ds, "/archive/versions.json?_na_search=pensioners&_search=analysts&_shape=array"
    )
    assert [r["title"] for r in rows] == [sample_archive.MARKET_TITLE]
    rows = await get_json(ds, "/archive/versions.json?_na_search=pensioners&_search=&_shape=array")
    assert len(rows) == 3
    # links on the page carry the renamed argument and still search
    rows = await get_json(ds, "/archive/versions.json?_na_search=pensioners&_shape=array")
    assert [(r["article_id"], r["version"]) for r in rows] == [(1, 2)]


@pytest.mark.parametrize("table", ["versions", "latest_versions", "captures", "articles"])
async def test_large_tables_skip_facet_suggestions(ds, table):
    """Each suggestion is a query over the whole table (seconds at 200,000 versions); the
    configured facets stay, and an explicit empty ``_nosuggest`` still asks for them."""
    data = await get_json(ds, f"/archive/{table}.json?_extra=suggested_facets,facet_results")
    assert data["suggested_facets"] == []
    asked = await get_json(
        ds, f"/archive/{table}.json?_nosuggest=&_extra=suggested_facets,facet_results"
    )
    assert asked["suggested_facets"] != []
    counts = {
        name: [(v["value"], v["count"]) for v in facet["results"]]
        for name, facet in facet_results(data).items()
    }
    assert counts and counts == {
        name: [(v["value"], v["count"]) for v in facet["results"]]
        for name, facet in facet_results(asked).items()
    }


async def test_versions_pages_show_twenty_rows_with_a_next_link(db_path):
    sample_archive.build_fleet(db_path, 25)
    ds = make_datasette(db_path)
    for table in ("versions", "latest_versions"):
        data = await get_json(ds, f"/archive/{table}.json?_search=ferries")
        assert len(data["rows"]) == 20 and data["next"], table
        rest = await get_json(ds, data["next_url"].removeprefix("http://localhost"))
        assert len(rest["rows"]) == 5 and not rest["next"], table
        page = (await ds.client.get(f"/archive/{table}?_search=ferries")).text
        assert len(set(re.findall(r"Timetable \d+", page))) == 20, table


_QUERY_TIME = re.compile(r"Queries took [0-9.]+ms")


@pytest.mark.parametrize(
    "path",
    [
        "versions?_search=ferry",
        "latest_versions?_search=ferry",
        "versions",
        "articles",
        "recent_changes",
        "captures?_sort=fetched_at",
    ],
)
async def test_table_rows_are_datasettes_own_template_rendered_in_one_piece(
    ds, db_path, tmp_path, path
):
    """The plugin's ``_table.html`` renders Datasette's own ``_table.html`` synchronously
    (archive.datasette.table_html): the page is byte for byte the one Datasette's template
    gives, here rendered by Datasette itself through a template folder that includes it."""
    ours = (await ds.client.get(f"/archive/{path}")).text
    env = ds.jinja_env if hasattr(ds, "jinja_env") else ds.get_jinja_environment()  # 0.65, 1.0
    assert env.get_template("_table.html").filename.endswith(
        "archive/datasette/templates/_table.html"
    )
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_table.html").write_text('{% include "default:_table.html" %}')
    reference = make_datasette(db_path, template_dir=str(templates))
    theirs = (await reference.client.get(f"/archive/{path}")).text
    assert "<tbody>" in ours
    assert _QUERY_TIME.sub("", ours) == _QUERY_TIME.sub("", theirs)


async def test_table_search_gives_every_query_of_the_page_the_newest_matches(db_path):
    """The index is asked once per page; rows, count and facets all count the same matches."""
    sample_archive.build_fleet(db_path, 25)
    ds = make_datasette(db_path)
    with Archive(db_path, readonly=True) as archive:
        expected = [
            row[0]
            for row in archive.db.execute(
                "select rowid from latest_fts where latest_fts match 'ferries' order by rowid desc"
            )
        ]
    data = await get_json(
        ds,
        "/archive/latest_versions.json?_search=ferries&_size=max&_shape=objects"
        "&_extra=count,facet_results,query",
    )
    assert sorted(r["version_id"] for r in data["rows"]) == sorted(expected)
    count = data["count"] if "count" in data else data["filtered_table_rows_count"]  # 1.0, 0.65
    assert count == len(expected) == 25
    sites = facet_results(data)["site"]["results"]
    assert sum(v["count"] for v in sites) == 25
    assert "json_each(:na_ids)" in data["query"]["sql"]


async def test_archive_connections_read_through_a_memory_mapping(ds):
    (mapped,) = (await ds.get_database("archive").execute("pragma mmap_size")).first()
    assert mapped > 0


async def test_foreign_keys_label_versions_with_article_titles(ds):
    data = await get_json(ds, "/archive/versions.json?_labels=on&_shape=array&version=2")
    assert data[0]["article_id"] == {"value": 1, "label": sample_archive.BRIDGE_TITLE_V2}


async def test_table_views_link_to_history_and_diff(ds):
    articles = (await ds.client.get("/archive/articles")).text
    assert '<a href="/archive/-/history/1">2 · history</a>' in articles
    changes = (await ds.client.get("/archive/recent_changes")).text
    assert '<a href="/archive/-/diff/1?a=1&amp;b=2">headline</a>' in changes
    assert '<a href="/archive/-/history/1">1 · history</a>' in changes


async def test_table_view_escapes_archived_titles(ds):
    page = (await ds.client.get("/archive/articles")).text
    assert "Rates held <b>steady</b>" not in page
    assert "Rates held &lt;b&gt;steady&lt;/b&gt;" in page


# -- canned queries ----------------------------------------------------------------------------


async def test_canned_recent_changes_and_most_edited(ds):
    rows = await get_json(ds, "/archive/recent_changes.json?_shape=array")
    assert [(r["article_id"], r["version"], r["change_kind"]) for r in rows] == [(1, 2, "headline")]
    rows = await get_json(ds, "/archive/most_edited.json?_shape=array")
    assert [(r["article_id"], r["version_count"]) for r in rows] == [(1, 2)]


async def test_canned_headline_changes(ds):
    rows = await get_json(ds, "/archive/headline_changes.json?_shape=array")
    assert [(r["old_title"], r["new_title"]) for r in rows] == [
        (sample_archive.BRIDGE_TITLE_V1, sample_archive.BRIDGE_TITLE_V2)
    ]


async def test_canned_first_version_with_phrase(ds):
    rows = await get_json(
        ds, "/archive/first_version_with_phrase.json?phrase=nine+months&_shape=array"
    )
    assert [(r["article_id"], r["version"]) for r in rows] == [(1, 2)]
    rows = await get_json(ds, "/archive/first_version_with_phrase.json?phrase=ferry&_shape=array")
    assert [(r["article_id"], r["version"]) for r in rows] == [(1, 1)]
    rows = await get_json(ds, '/archive/first_version_with_phrase.json?phrase="zebra&_shape=array')
    assert rows == []


async def test_canned_removed_after_publication(db_path):
    sample_archive.build(db_path)
    with Archive(db_path) as archive:
        for hours in (3, 4):
            archive.record(
                CaptureIn(
                    url=sample_archive.MARKET_URL,
                    site="other",
                    fetched_at=sample_archive.T0 + timedelta(hours=hours),
                    status_code=404,
                    outcome="gone",
                    reason="http-404",
                )
            )
    ds = make_datasette(db_path)
    rows = await get_json(ds, "/archive/removed_after_publication.json?_shape=array")
    assert [(r["url"], r["status"]) for r in rows] == [(sample_archive.MARKET_URL, "gone")]
    assert rows[0]["removed_at"] is not None


async def test_canned_search_highlights_and_escapes(ds):
    page = (await ds.client.get("/archive/search?q=analysts")).text
    assert "<mark>Analysts</mark>" in page
    assert "<script>alert" not in page
    rows = await get_json(ds, "/archive/search.json?q=ferry&_shape=array")
    assert [r["version"] for r in rows] == [2]  # the latest text; versions?_search= has all
    assert await get_json(ds, "/archive/search.json?_shape=array") == []


# -- the plugin's pages ------------------------------------------------------------------------


async def test_history_page_lists_versions_with_diff_links(ds):
    response = await ds.client.get("/archive/-/history/1")
    assert response.status_code == 200
    page = response.text
    assert sample_archive.BRIDGE_TITLE_V2 in page
    assert page.index("v2</a>") < page.index("v1</a>")  # newest first
    assert '<a class="na-diff-link" href="/archive/-/diff/1?a=1&amp;b=2">diff with v1</a>' in page
    assert '<span class="na-plus">+9</span> <span class="na-minus">−1</span>' in page


async def test_history_page_of_unknown_article_is_404(ds):
    assert (await ds.client.get("/archive/-/history/999")).status_code == 404
    assert (await ds.client.get("/nodb/-/history/1")).status_code == 404


async def test_diff_page_highlights_changed_words(ds):
    page = (await ds.client.get("/archive/-/diff/1?a=1&b=2")).text
    assert "<del>six</del>" in page and "<ins>nine</ins>" in page
    assert "<ins>Update: the ferry will be free for pensioners.</ins>" in page
    assert "<summary>1 unchanged paragraph</summary>" in page
    inline = (await ds.client.get("/archive/-/diff/1?a=1&b=2&mode=inline")).text
    assert "<del>six</del><ins>nine</ins>" in inline


async def test_diff_page_escapes_archived_text(db_path):
    sample_archive.build(db_path)
    with Archive(db_path) as archive:
        archive.record(
            sample_archive.capture(sample_archive.MARKET_URL, "other", sample_archive.T0),
            sample_archive.content(
                sample_archive.MARKET_TITLE,
                (*sample_archive.MARKET_TEXT, "<img src=x onerror=alert(1)>"),
            ),
        )
    ds = make_datasette(db_path)
    page = (await ds.client.get("/archive/-/diff/2")).text
    assert "<img src=x" not in page and "<script>alert" not in page and "<b>steady" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


async def test_diff_json_gives_ops_with_offsets(ds):
    data = await get_json(ds, "/archive/-/diff/1.json?a=1&b=2")
    assert data["summary"]["kind"] == "headline"
    changed = [op for op in data["ops"] if op["op"] != "equal"]
    assert changed[0]["old_text"] == "six" and changed[0]["new_text"] == "nine"


async def test_diff_with_missing_version_is_404(ds):
    assert (await ds.client.get("/archive/-/diff/1?a=1&b=7")).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/archive/-/history/99999999999999999999999",
        "/archive/-/history/abc",
        "/archive/-/history/1.json",
        "/archive/-/history/-1",
        "/archive/-/diff/99999999999999999999999",
        "/archive/-/diff/abc",
        "/archive/-/diff/1.csv",
        "/archive/-/diff/1?a=1&b=99999999999999999999999",
        "/archive/-/diff/1?a=one&b=2",
        "/archive/-/diff/1?a=0&b=2",
        "/archive/-/diff/1.json?a=-1&b=2",
        "/archive/-/history/1/versions",
        "/archive/-/diff/1/2",
    ],
)
async def test_odd_ids_and_versions_are_404_with_a_reason(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 404, response.text
    assert "Internal Server Error" not in response.text


async def test_404_says_what_to_give(ds):
    page = (await ds.client.get("/archive/-/history/abc")).text
    assert "/archive/-/history?url=" in page
    page = (await ds.client.get("/archive/-/history/1.json")).text
    assert "/archive/versions.json?article_id=1" in page
    page = (await ds.client.get("/archive/-/diff/1?a=one&b=2")).text
    assert "?a= must be a version number" in page


async def test_search_page_shows_snippets_linked_to_history(ds):
    page = (await ds.client.get("/archive/-/search?q=pensioners")).text
    assert "<mark>pensioners</mark>" in page
    assert 'href="/archive/-/history/1"' in page
    assert 'href="/archive/-/diff/1?a=1&amp;b=2"' in page
    hostile = (await ds.client.get("/archive/-/search?q=%3Cscript%3E+NEAR(")).text
    assert "<script> NEAR(" not in hostile and "&lt;script&gt; NEAR(" in hostile


async def test_atom_feed_of_recent_changes(ds):
    response = await ds.client.get("/archive/-/changes.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.text)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == f"[headline] {sample_archive.BRIDGE_TITLE_V2}"
    link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert link.endswith("/archive/-/diff/1?a=1&b=2")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<del>six</del><ins>nine</ins>" in content.text


async def test_atom_feed_stays_xml_whatever_the_page_held(db_path):
    sample_archive.build(db_path)
    with Archive(db_path) as archive:
        archive.record(
            sample_archive.capture(sample_archive.MARKET_URL, "other", sample_archive.T0),
            sample_archive.content(
                sample_archive.MARKET_TITLE + " \x1b[31m",
                (*sample_archive.MARKET_TEXT, "A bell \x07 and a form feed \x0c, \ufffe."),
            ),
        )
    ds = make_datasette(db_path)
    response = await ds.client.get("/archive/-/changes.atom")
    feed = ET.fromstring(response.text)  # well-formed
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert any(t.endswith("\ufffd[31m") for t in titles)
    content = "".join(e.find(f"{ATOM}content").text for e in feed.findall(f"{ATOM}entry"))
    assert "A bell \ufffd and a form feed" in content and "\ufffd." in content


async def test_plugin_leaves_other_databases_alone(tmp_path):
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["things"].insert({"id": 1, "name": "x"})
    ds = make_datasette(other)
    assert (await ds.client.get("/other/-/history/1")).status_code == 404
    page = (await ds.client.get("/other/things")).text
    assert "na-glossary" not in page and "changes.atom" not in page


def test_web_url_refuses_script_links():
    assert web_url("https://news.example/a") == "https://news.example/a"
    assert web_url("javascript:alert(1)") == "#"
    assert web_url(None) == "#"


async def test_database_page_links_to_search_changes_and_feed(ds):
    page = (await ds.client.get("/archive")).text
    assert '<a href="/archive/-/search">Search with snippets</a>' in page
    assert '<a href="/archive/-/changes.atom">Atom feed of changes</a>' in page
    for query, spec in archive_metadata.CANNED_QUERIES.items():
        response = await ds.client.get(f"/archive/{query}")
        assert response.status_code == 200, query
        # a title and a description, not the SQL, head the page
        assert "<h1" in response.text and spec["title"] in response.text, query
        assert spec["description"] in response.text.replace("&#39;", "'"), query


async def test_history_can_be_found_by_article_url(ds):
    response = await ds.client.get(f"/archive/-/history?url={sample_archive.BRIDGE_URL}")
    assert response.status_code == 302
    assert response.headers["location"] == "/archive/-/history/1"
    assert (
        await ds.client.get("/archive/-/history?url=https://nowhere.example/")
    ).status_code == 404


def test_every_table_and_column_is_described(db_path):
    sample_archive.build(db_path)
    tables = archive_metadata.TABLES
    db = sqlite_utils.Database(db_path)
    for name in (
        "articles",
        "article_urls",
        "versions",
        "captures",
        "raw_pages",
        "events",
        "crawls",
        "requests",
        "latest_versions",
        "recent_changes",
        "most_edited",
    ):
        meta = tables[name]
        assert meta.get("title") and meta.get("description"), name
        missing = {c.name for c in db[name].columns} - set(meta.get("columns", {}))
        assert not missing, f"{name}: undescribed columns {sorted(missing)}"
