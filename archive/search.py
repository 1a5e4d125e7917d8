"""Full-text search over archived versions (SQLite FTS5), with highlighted snippets.

Users type words, not FTS5 syntax: an unbalanced quote, a stray ``-`` or ``NEAR(`` in a query
would otherwise be a syntax error from SQLite. :func:`fts_query` turns any input into a safe
query: every word becomes a quoted FTS5 string (so operators lose their meaning), double-quoted
phrases stay phrases, and a trailing ``*`` keeps its prefix meaning.

May import: :mod:`sqlite_utils` and the standard library (nothing else of archive).
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import sqlite_utils

# Snippet highlight marks: private-use characters that never occur in archived text, swapped
# for the real markup (or brackets) after the text has been escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"

_QUERY_PART_RE = re.compile(r'"([^"]*)"(\*?)|(\S+)')
_WORD_CHARS_RE = re.compile(r"\w")


class SearchError(Exception):
    """The archive cannot be searched (no full-text index: not a newsarchive database)."""


@dataclass(frozen=True)
class SearchHit:
    """One matching version, with a short excerpt around the matched words."""

    article_id: int
    version_id: int
    version: int
    version_count: int
    url: str
    site: str
    title: str
    captured_at: str
    snippet: str  # plain text, matches in [brackets]
    snippet_html: str  # escaped HTML, matches in <mark>
    rank: float

    @property
    def is_latest(self) -> bool:
        return self.version == self.version_count


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_query(user_query: str) -> str:
    """An FTS5 MATCH expression for *user_query* that cannot be a syntax error.

    All terms must match (implicit AND). ``"exact phrase"`` stays a phrase; ``word*`` is a prefix
    search. Terms without any letter or digit are dropped (FTS5 would ignore them anyway).
    Returns ``""`` when nothing searchable is left.
    """
    parts: list[str] = []
    for match in _QUERY_PART_RE.finditer(user_query):
        phrase, phrase_star, word = match.groups()
        if word is not None:
            star = word.endswith("*")
            word = word.rstrip("*").replace('"', "")
            if _WORD_CHARS_RE.search(word):
                parts.append(_quote(word) + ("*" if star else ""))
        elif phrase is not None and _WORD_CHARS_RE.search(phrase):
            parts.append(_quote(phrase) + ("*" if phrase_star else ""))
    return " ".join(parts)


def fts_match(user_query: str) -> str:
    """:func:`fts_query`, or a phrase that matches nothing when no searchable word is left.

    Used where the expression goes straight into ``MATCH`` (Datasette's ``?_search=`` and the
    canned queries): an empty expression is an FTS5 syntax error, an empty phrase is not.
    """
    if not isinstance(user_query, str):  # NULL from SQL
        return '""'
    return fts_query(user_query) or '""'


def highlight_html(marked: str) -> str:
    """Escape a snippet carrying :data:`MARK_START`/:data:`MARK_END` and turn marks into <mark>."""
    escaped = html.escape(marked, quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def highlight_text(marked: str) -> str:
    return marked.replace(MARK_START, "[").replace(MARK_END, "]")


_SQL = """
with matches as materialized (
    select
        v.id as version_id, v.article_id, v.version, v.captured_at, v.title,
        a.url, a.site, a.version_count,
        snippet(versions_fts, -1, :mark_start, :mark_end, '…', :tokens) as snippet,
        bm25(versions_fts, 2.0, 1.0) as rank
    from versions_fts
    join versions v on v.id = versions_fts.rowid
    join articles a on a.id = v.article_id
    where versions_fts match :query
),
ranked as (
    select *,
        row_number() over (partition by article_id order by version desc) as newest_first
    from matches
)
select * from ranked
where :all_versions or newest_first = 1
order by rank, captured_at desc
limit :limit
"""


def search(
    db: sqlite_utils.Database | sqlite3.Connection,
    query: str,
    limit: int = 20,
    *,
    all_versions: bool = False,
    snippet_tokens: int = 16,
) -> list[SearchHit]:
    """Versions whose title or text match *query*, best first.

    By default each article appears once, with its newest matching version (an article whose
    latest text no longer contains the words still shows, through the version that did);
    ``all_versions=True`` lists every matching version.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    match = fts_query(query)
    if not match:
        return []
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    params: dict[str, Any] = {
        "query": match,
        "limit": limit,
        "all_versions": int(all_versions),
        "mark_start": MARK_START,
        "mark_end": MARK_END,
        "tokens": max(1, min(snippet_tokens, 64)),
    }
    try:
        cursor = conn.execute(_SQL, params)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise SearchError(f"no full-text index in this database ({exc})") from exc
        raise
    columns = [d[0] for d in cursor.description]
    hits = []
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        hits.append(
            SearchHit(
                article_id=row["article_id"],
                version_id=row["version_id"],
                version=row["version"],
                version_count=row["version_count"],
                url=row["url"],
                site=row["site"],
                title=row["title"] or "",
                captured_at=row["captured_at"],
                snippet=highlight_text(row["snippet"] or ""),
                snippet_html=highlight_html(row["snippet"] or ""),
                rank=row["rank"],
            )
        )
    return hits
