"""Full-text search with snippets, safe against FTS5 syntax in user queries."""

from __future__ import annotations

import sqlite3

import pytest
import sample_archive
import sqlite_utils

from archive.search import SearchError, SearchTimeout, fts_query, search, time_limit
from archive.store import Archive


@pytest.fixture
def archive_db(db_path):
    sample_archive.build(db_path)
    with Archive(db_path, readonly=True) as archive:
        yield archive.db


def test_search_finds_article_with_snippet(archive_db):
    (hit,) = search(archive_db, "pensioners")
    assert hit.url == sample_archive.BRIDGE_URL
    assert hit.version == 2 and hit.is_latest
    assert "[pensioners]" in hit.snippet
    assert "<mark>pensioners</mark>" in hit.snippet_html


def test_search_returns_each_article_once_by_default(archive_db):
    hits = search(archive_db, "ferry")
    assert [(h.url, h.version) for h in hits] == [(sample_archive.BRIDGE_URL, 2)]
    every = search(archive_db, "ferry", all_versions=True)
    assert sorted(h.version for h in every) == [1, 2]


def test_search_looks_at_the_latest_text_unless_asked_for_every_version(archive_db):
    assert search(archive_db, "six months") == []  # only version 1 said it
    (hit,) = search(archive_db, "six months", all_versions=True)
    assert hit.version == 1
    assert not hit.is_latest


def test_a_search_past_its_time_limit_is_a_typed_error(archive_db):
    with pytest.raises(SearchTimeout):
        search(archive_db, "ferry", seconds=0)
    long_query = (
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000) "
        "select max(i) from n"
    )
    with pytest.raises(SearchTimeout), time_limit(archive_db.conn, 0.05):
        archive_db.execute(long_query).fetchone()  # stopped inside the statement
    assert search(archive_db, "ferry")  # the limit is gone after the block


def test_ranking_is_bm25_within_the_newest_candidates(archive_db):
    every = search(archive_db, "the", limit=50)
    assert [h.rank for h in every] == sorted(h.rank for h in every)
    (newest,) = search(archive_db, "the", limit=1, candidates=1)
    assert newest.version_id == max(h.version_id for h in every)


def test_search_stems_words(archive_db):
    assert [h.url for h in search(archive_db, "repair")] == [sample_archive.BRIDGE_URL]


def test_phrases_and_prefixes(archive_db):
    assert len(search(archive_db, '"nine months"')) == 1
    assert search(archive_db, '"months nine"') == []
    assert [h.url for h in search(archive_db, "pension*")] == [sample_archive.BRIDGE_URL]


def test_snippet_html_escapes_archived_markup(archive_db):
    (hit,) = search(archive_db, "analysts")
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(", "ferry -", "AND OR NOT", "col:ferry", "^ferry", "(", "*", '""', "'"],
)
def test_fts_syntax_in_user_queries_is_not_an_error(archive_db, query):
    hits = search(archive_db, query)
    assert isinstance(hits, list)


def test_operators_are_plain_words(archive_db):
    # "NOT" is a word to look for, not an operator: nothing contains it
    assert search(archive_db, "ferry NOT") == []
    assert len(search(archive_db, "ferry")) == 1


def test_fts_query_quotes_terms():
    assert (
        fts_query('ferry "old bridge" pension* a"b -x')
        == '"ferry" "old bridge" "pension"* "ab" "-x"'
    )
    assert fts_query("  ") == ""
    assert fts_query("- ( )") == ""


def test_empty_query_finds_nothing(archive_db):
    assert search(archive_db, "   ") == []


def test_search_accepts_a_plain_connection(db_path):
    sample_archive.build(db_path)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    assert len(search(conn, "ferry")) == 1


def test_database_without_index_is_a_typed_error(tmp_path):
    db = sqlite_utils.Database(tmp_path / "other.db")
    db["things"].insert({"a": 1})
    with pytest.raises(SearchError):
        search(db, "ferry")


def test_limit_must_be_positive(archive_db):
    with pytest.raises(ValueError):
        search(archive_db, "ferry", limit=0)


def test_each_hit_has_the_snippet_of_its_own_text(db_path):
    """Snippets are built in one pass for all the rows shown: each must still be its own row's."""
    sample_archive.build_fleet(db_path, 12)
    with Archive(db_path, readonly=True) as archive:
        for query in ("ferr*", "ferries", '"harbour ferries"'):
            hits = archive.search(query, limit=5)
            assert len(hits) == 5, query
            for hit in hits:
                i = int(hit.url.rstrip("/").rsplit("/", 1)[1])
                assert sample_archive.fleet_word(i) in hit.snippet, (query, hit)
                assert "ferries]" in hit.snippet
                assert hit.title == f"Timetable {i}"
            # the same ranking as the index gives when asked row by row
            assert len({h.version_id for h in hits}) == 5


def test_a_reading_archive_maps_the_file_for_searching(db_path):
    sample_archive.build(db_path)
    with Archive(db_path, readonly=True) as archive:
        archive.search("ferry")
        (mapped,) = archive.db.execute("pragma mmap_size").fetchone()
    assert mapped > 0
