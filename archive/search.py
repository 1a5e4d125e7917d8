"""Full-text search over archived versions (SQLite FTS5), with highlighted snippets.

Fast at any archive size, by design rather than by luck:

- **The latest text by default.** ``latest_fts`` indexes only the newest version of each
  article (50,000 texts where ``versions_fts`` has 200,000); ``all_versions=True`` searches
  every version.
- **Ranked within a bounded candidate set.** FTS5 walks a term's matches in rowid order and
  stops early, while ``ORDER BY rank`` scores every match first (214 ms for a word in every
  article). The newest :data:`CANDIDATES` matches (rowid is the version id, so newest first)
  are taken, and BM25 ranks those; a rare word has fewer matches than that and is ranked whole.
- **Snippets only for the rows shown**, once the page of results is known, all in one pass
  of the index (a prefix's term lists are merged once, not once per row).
- **A time limit per query** (an SQLite progress handler): past it :class:`SearchTimeout`.
- **The file read through a memory mapping** (:func:`prepare_reader`).

Users type words, not FTS5 syntax: an unbalanced quote, a stray ``-`` or ``NEAR(`` in a query
would otherwise be a syntax error from SQLite. :func:`fts_query` turns any input into a safe
query: every word becomes a quoted FTS5 string (so operators lose their meaning), double-quoted
phrases stay phrases, and a trailing ``*`` keeps its prefix meaning.

May import: :mod:`sqlite_utils` and the standard library (nothing else of archive).
"""

from __future__ import annotations

import contextlib
import html
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

# Snippet highlight marks: private-use characters that never occur in archived text, swapped
# for the real markup (or brackets) after the text has been escaped.
MARK_START = "\ue000"
MARK_END = "\ue001"

_QUERY_PART_RE = re.compile(r'"([^"]*)"(\*?)|(\S+)')
_WORD_CHARS_RE = re.compile(r"\w")


#: Matches ranked per query: the newest ones. Enough that the best page of a common word is
#: among recent articles, few enough that ranking them stays within a few milliseconds.
CANDIDATES = 1000
#: Seconds a search may run before it is stopped.
TIME_LIMIT = 2.0
#: Bytes of the archive file a reading connection maps into memory (``PRAGMA mmap_size``;
#: SQLite caps it at 2 GB). A search page reads a thousand version rows scattered over the
#: file: through SQLite's 2 MB page cache each is a few ``pread`` calls, 3-4x the time of
#: reading them from the mapping (bench/search.py). The mapping shares the operating
#: system's cache, so it costs no memory of its own, and a writer's commit does not empty it
#: (SQLite's page cache is reset on every change made by another connection).
#: Safe because archives never shrink (nothing here runs VACUUM): SQLite's one caveat is a
#: file truncated under the mapping.
READ_MMAP_BYTES = 1 << 31


def prepare_reader(conn: sqlite3.Connection) -> None:
    """Set up *conn* for the reads that search and browse an archive (:data:`READ_MMAP_BYTES`)."""
    conn.execute(f"pragma mmap_size = {READ_MMAP_BYTES}")


class SearchError(Exception):
    """The archive cannot be searched (no full-text index: not a newsarchive database)."""


class SearchTimeout(SearchError):
    """The search ran past its time limit and was stopped."""


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


_CANDIDATES_SQL = """
select rowid as version_id, bm25({fts}, 2.0, 1.0) as rank
from {fts} where {fts} match :query
order by rowid desc limit :candidates
"""

_ROWS_SQL = """
select v.id as version_id, v.article_id, v.version, v.captured_at, v.title,
       a.url, a.site, a.version_count
from versions v join articles a on a.id = v.article_id
where v.id in ({ids})
"""

# The snippets of the rows shown, in one pass of the index over the rowid range they span
# (``+rowid`` keeps the id list from becoming the index's constraint, which would run the
# MATCH once per id: for a prefix that is a merge of every matching term's list each time,
# 18 ms for 20 rows against 1.4 ms). ``snippet()`` runs for the listed rows only.
_SNIPPETS_SQL = """
select rowid, snippet({fts}, -1, :mark_start, :mark_end, '…', :tokens)
from {fts} where {fts} match :query
  and rowid between :low and :high and +rowid in ({ids})
"""


@contextlib.contextmanager
def time_limit(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt the statements *conn* runs in the block once *seconds* have passed."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 2_000)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise SearchTimeout(f"the search took more than {seconds:g} s and was stopped") from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


def search(
    db: sqlite_utils.Database | sqlite3.Connection,
    query: str,
    limit: int = 20,
    *,
    all_versions: bool = False,
    snippet_tokens: int = 16,
    candidates: int = CANDIDATES,
    seconds: float = TIME_LIMIT,
) -> list[SearchHit]:
    """Articles whose latest title or text match *query*, best first.

    ``all_versions=True`` searches every version instead (an article can then appear once
    per matching version). Ranking is BM25 (title weighs double) among the newest
    *candidates* matches; see the module docstring.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    match = fts_query(query)
    if not match:
        return []
    conn = db.conn if isinstance(db, sqlite_utils.Database) else db
    fts = "versions_fts" if all_versions else "latest_fts"
    tokens = max(1, min(snippet_tokens, 64))
    deadline = time.monotonic() + seconds

    def in_time() -> None:  # between statements too short for the progress handler to see
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("interrupted")

    try:
        with time_limit(conn, seconds):
            ranked = conn.execute(
                _CANDIDATES_SQL.format(fts=fts),
                {"query": match, "candidates": max(candidates, limit)},
            ).fetchall()
            ranked.sort(key=lambda row: (row[1], -row[0]))  # best rank, then newest
            shown = ranked[:limit]
            if not shown:
                return []
            in_time()
            ids = [version_id for version_id, _ in shown]
            id_list = ",".join(str(int(i)) for i in ids)
            cursor = conn.execute(_ROWS_SQL.format(ids=id_list))
            columns = [d[0] for d in cursor.description]
            rows = {
                values[0]: dict(zip(columns, values, strict=True)) for values in cursor.fetchall()
            }
            in_time()
            snippets = dict(
                conn.execute(
                    _SNIPPETS_SQL.format(fts=fts, ids=id_list),
                    {
                        "query": match,
                        "low": min(ids),
                        "high": max(ids),
                        "mark_start": MARK_START,
                        "mark_end": MARK_END,
                        "tokens": tokens,
                    },
                ).fetchall()
            )
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise SearchError(f"no full-text index in this database ({exc})") from exc
        raise
    hits = []
    for version_id, rank in shown:
        row = rows.get(version_id)
        if row is None:  # a version deleted since the match
            continue
        snippet = snippets.get(version_id) or ""
        hits.append(
            SearchHit(
                article_id=row["article_id"],
                version_id=version_id,
                version=row["version"],
                version_count=row["version_count"],
                url=row["url"],
                site=row["site"],
                title=row["title"] or "",
                captured_at=row["captured_at"],
                snippet=highlight_text(snippet),
                snippet_html=highlight_html(snippet),
                rank=rank,
            )
        )
    return hits
