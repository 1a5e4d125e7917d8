"""Datasette metadata for an archive database: descriptions, facets, sorting, FTS, canned queries.

Kept as data, apart from the plugin code, so it can be read (and reviewed) as a whole.
:mod:`archive.datasette.configure` applies it at startup to every database that is a
newsarchive archive, so ``datasette archive.db`` gets it as well as ``newsarchive serve``. A
user's own metadata and configuration still take precedence.

Column notes are not handed to Datasette as column metadata (its table page would print them
as a glossary taller than the screen above the rows): each table's description ends with them
folded in a ``<details>`` element.

May import: markupsafe.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

INSTANCE_TITLE = "News archive"
DATABASE_DESCRIPTION = (
    "Every editorial version of the archived news articles. Start from recent changes, search "
    "the text of every version, or open an article's history to see how it changed."
)

# A snippet's highlight marks in canned queries: private-use characters (see archive.search)
# turned into <mark> by the plugin's render_cell after escaping.
_LATEST_SNIPPET = "snippet(latest_fts, -1, char(57344), char(57345), '…', 16)"

# Canned queries take names no table or view has: Datasette 0.65 shows the query and 1.0 the
# view when both share one (the recent_changes and most_edited views serve those lists).
CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "removed_after_publication": {
        "title": "Articles removed after publication",
        "hide_sql": True,
        "description": (
            "Articles that were archived at least once and later disappeared (404/410) or "
            "started redirecting to a section page (soft 404)."
        ),
        "sql": (
            "select a.id as article_id, a.site, a.status, a.title, a.url, a.first_seen,\n"
            "  a.last_changed, a.version_count,\n"
            "  (select max(e.at) from events e where e.article_id = a.id and e.kind = a.status)"
            " as removed_at\n"
            "from articles a\n"
            "where a.status in ('gone', 'soft-404') and a.version_count > 0\n"
            "order by removed_at desc"
        ),
    },
    "headline_changes": {
        "title": "Headline changes",
        "hide_sql": True,
        "description": "Versions whose headline differs from the version before.",
        "sql": (
            "select v.id as version_id, v.article_id, a.site, v.captured_at, v.version,\n"
            "  p.title as old_title, v.title as new_title, a.url\n"
            "from versions v\n"
            "join versions p on p.article_id = v.article_id and p.version = v.version - 1\n"
            "join articles a on a.id = v.article_id\n"
            "where v.title_changed = 1\n"
            "order by v.captured_at desc\n"
            "limit 200"
        ),
    },
    "first_version_with_phrase": {
        "title": "First version containing a phrase",
        "hide_sql": True,
        "description": (
            "The articles where the phrase appeared first, each with the earliest version "
            "whose title or text contains it (word stems match: 'closes' finds 'closed')."
        ),
        # Version ids grow with time, so the index yields matches oldest first and stops
        # early: the first 200 articles met are the 200 where the phrase appeared earliest,
        # and each article's first match is its earliest matching version.
        "sql": (
            "with earliest as materialized (\n"
            "  select rowid as id from versions_fts\n"
            "  where :phrase != ''\n"
            "    and versions_fts match '\"' || replace(:phrase, '\"', '\"\"') || '\"'\n"
            "  order by rowid limit 5000\n"
            "),\n"
            "firsts as materialized (\n"
            "  select min(e.id) as id from earliest e join versions v on v.id = e.id\n"
            "  group by v.article_id order by 1 limit 200\n"
            ")\n"
            "select v.id as version_id, v.article_id, a.site, v.version, v.captured_at,"
            " v.title, a.url\n"
            "from firsts f\n"
            "join versions v on v.id = f.id\n"
            "join articles a on a.id = v.article_id\n"
            "order by v.id"
        ),
    },
    "search": {
        "title": "Search with snippets",
        "hide_sql": True,
        "description": (
            "Full-text search of each article's latest title and text, best matches first "
            "(ranked among the 1,000 newest matches); matching words are highlighted. Search "
            "every version with the versions table's search box."
        ),
        # The newest matches come straight from the index (rowid order, early stop); BM25
        # ranks those only, and snippets are built for the 50 rows shown, in one pass of the
        # index over the rowid range they span (+rowid: the id list is a filter, not the
        # index's constraint, which would run the MATCH once per row; see archive.search).
        "sql": (
            "with candidates as materialized (\n"
            "  select rowid as version_id, bm25(latest_fts, 2.0, 1.0) as rank\n"
            "  from latest_fts\n"
            "  where :q != '' and latest_fts match escape_fts(:q)\n"
            "  order by rowid desc limit 1000\n"
            "),\n"
            "best as materialized (\n"
            "  select * from candidates order by rank, version_id desc limit 50\n"
            "),\n"
            "snippets as materialized (\n"
            f"  select rowid as version_id, {_LATEST_SNIPPET} as snippet\n"
            "  from latest_fts\n"
            "  where latest_fts match escape_fts(:q)\n"
            "    and rowid between (select min(version_id) from best)\n"
            "    and (select max(version_id) from best)\n"
            "    and +rowid in (select version_id from best)\n"
            ")\n"
            "select v.id as version_id, v.article_id, a.site, v.version, v.captured_at,\n"
            "  v.title, s.snippet, a.url\n"
            "from best b\n"
            "join versions v on v.id = b.version_id\n"
            "join articles a on a.id = v.article_id\n"
            "left join snippets s on s.version_id = b.version_id\n"
            "order by b.rank, b.version_id desc"
        ),
    },
}

_ARTICLE_COLUMNS = {
    "id": "Article id (also accepted by the CLI in place of the URL).",
    "url": "Canonical URL, normalized.",
    "site": "Site name from config.toml.",
    "status": "new, live, gone (404/410), soft-404 or failing (a moved article stays live).",
    "title": "Headline of the latest version.",
    "published": "Publication time stated by the page.",
    "first_seen": "When the crawler first discovered the URL.",
    "last_checked": "Last fetch attempt.",
    "last_changed": "When the latest version was captured.",
    "next_check": "When the article is due for its next re-check.",
    "version_count": "Number of distinct editorial versions.",
    "capture_count": "Number of fetch attempts.",
    "unchanged_streak": "Re-checks in a row that found no change.",
    "error_streak": "Failed fetches in a row.",
    "hint_modified": "Last-modified time a feed or sitemap gave; a newer one pulls a check forward.",
    "etag": "ETag of the last full response, sent back as If-None-Match.",
    "last_modified": "Last-Modified of the last full response, sent back as If-Modified-Since.",
}
_VERSION_COLUMNS = {
    "article_id": "The article this is a version of.",
    "version": "1 for the first capture, then one more for every editorial change.",
    "captured_at": "When this version was first captured.",
    "capture_id": "The capture that recorded it.",
    "title": "Headline.",
    "text": "Main text, paragraphs separated by blank lines (boilerplate removed).",
    "text_hash": "SHA-256 of the normalized title and text.",
    "word_count": "Words in the text.",
    "change_kind": "first, typo, correction, wording, addition, removal, headline, rewrite or live-update.",
    "change_summary": "Paragraphs and words added/removed/edited/moved, as JSON.",
    "words_added": "Words added since the previous version.",
    "words_removed": "Words removed since the previous version.",
    "title_changed": "1 when the headline changed.",
    "method": "Which extraction rule found the text.",
    "id": "Version id (one row per editorial version of an article).",
    "byline": "Authors as the page shows them.",
    "authors": "Author names, as JSON.",
    "published": "Publication time stated by the page.",
    "modified": "Last-modified time stated by the page.",
    "language": "Language of the page (from its markup).",
    "description": "Summary the page gives in its metadata.",
    "section": "Section of the site the page names.",
    "tags": "Keywords the page gives, as JSON.",
    "image": "Lead image URL from the page's metadata.",
    "extractor_version": "Version of the extractor that produced the text.",
}
_CAPTURE_COLUMNS = {
    "fetched_at": "When the page was fetched.",
    "outcome": "new-version, unchanged, not-modified, error, gone, skipped, not-html.",
    "reason": "Why a fetch failed or was skipped (timeout, robots, http-404...).",
    "status_code": "HTTP status.",
    "raw_page_id": "The stored page body (compressed).",
    "version_id": "The version this capture created, if any.",
    "requested_url": "The URL the fetch asked for, when the article's URL is another one now "
    "(after a move or a canonical merge); for WARC export.",
    "redirects": "The redirect hops of the fetch: [status, next URL] per hop (JSON).",
    "elapsed_ms": "Fetch time in milliseconds.",
    "id": "Capture id.",
    "article_id": "The article fetched.",
    "crawl_id": "The crawl cycle that made the fetch (empty for `newsarchive archive`).",
    "url": "URL requested.",
    "final_url": "URL of the final response, after redirects.",
    "error": "The error message, when the fetch failed.",
    "etag": "ETag of the response.",
    "last_modified": "Last-Modified of the response.",
    "content_type": "Content-Type of the response.",
    "encoding": "Character encoding the page was decoded with.",
    "bytes": "Size of the (decompressed) body.",
    "http_version": "HTTP version of the response.",
    "request_headers": "Headers sent, as JSON.",
    "response_headers": "Headers received, as JSON.",
}
_RAW_PAGE_COLUMNS = {
    "id": "Raw page id.",
    "sha256": "SHA-256 of the body: identical bodies are stored once.",
    "size": "Size of the body in bytes, uncompressed.",
    "compression": "zstd (stored whole: a keyframe) or zstd-delta (against base_id).",
    "content": "The decoded body (gzip/br removed), compressed; read it with "
    "Archive.capture_raw (a delta needs its keyframe).",
    "base_id": "For a delta: the keyframe (an earlier body of the same page) it is "
    "compressed against.",
}
_ARTICLE_URL_COLUMNS = {
    "url": "Another URL of the article (normalized).",
    "article_id": "The article it leads to.",
    "kind": "canonical (rel=canonical), redirect (old URL after a move) or discovered.",
}
_SOURCE_COLUMNS = {
    "url": "A feed or sitemap URL.",
    "etag": "ETag of its last full response, sent back as If-None-Match.",
    "last_modified": "Last-Modified of its last full response, sent back as If-Modified-Since.",
    "fetched_at": "When that response came.",
}
_EVENT_COLUMNS = {
    "id": "Event id.",
    "article_id": "The article.",
    "at": "When it happened (the capture's time).",
    "kind": "gone, moved, soft-404, failing or revived.",
    "detail": "HTTP status, new URL or reason.",
    "capture_id": "The capture that showed it.",
}
_CRAWL_COLUMNS = {
    "id": "Crawl id.",
    "site": "Site name from config.toml.",
    "started": "When the crawl began.",
    "finished": "When it ended.",
    "status": (
        "running, done, partial (some sources or articles failed), failed (nothing could be "
        "reached), cancelled or interrupted (the process died)."
    ),
    "discovered": "URLs found in feeds, sitemaps and listing pages.",
    "new_articles": "URLs not seen before.",
    "fetched": "Articles fetched.",
    "new_versions": "Fetches that found a new version.",
    "unchanged": "Fetches whose text had not changed.",
    "not_modified": "Fetches answered 304 Not Modified.",
    "skipped": "Articles not fetched (robots.txt).",
    "errors": "Fetches that failed or found the article gone.",
    "errors_by_kind": "Reasons counted (http-404, timeout, robots, source-...), as JSON.",
}
# The views join articles and versions: their columns mean what they mean there.
_VIEW_COLUMNS = {
    **_VERSION_COLUMNS,
    **{k: v for k, v in _ARTICLE_COLUMNS.items() if k not in ("id", "title")},
    "version_id": "The version's id.",
    "title": "Headline.",
}

_REQUEST_COLUMNS = {
    "id": "Request id.",
    "kind": "archive (URLs now) or crawl (one cycle), asked while newsarchive run was running.",
    "payload": "What was asked (URLs, sites), as JSON.",
    "requested": "When the command asked.",
    "status": "pending, running, done or failed.",
    "started": "When the service took it.",
    "answered": "When the service answered.",
    "result": "The answer, as JSON.",
    "error": "Why it failed.",
}

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "title": "Articles",
        "description": "One row per article (canonical URL) with its latest state.",
        "sort_desc": "last_changed",
        "facets": ["site", "status"],
        "label_column": "title",
        "columns": _ARTICLE_COLUMNS,
    },
    "versions": {
        "title": "Versions",
        # Rows carry the whole text: 20 a page keeps the page fast (100 rows of 25 columns
        # took 70 ms to render at 200,000 versions, bench/search.py).
        "size": 20,
        "description": (
            "Every distinct editorial version of every article. Search title and text with "
            "the search box; the change kind says what kind of edit made the version."
        ),
        "sort_desc": "captured_at",
        "facets": ["change_kind", "title_changed"],
        "label_column": "title",
        "columns": _VERSION_COLUMNS,
    },
    "captures": {
        "title": "Captures",
        "description": "Every fetch attempt, whatever happened.",
        "sort_desc": "fetched_at",
        "facets": ["outcome", "reason", "status_code"],
        "columns": _CAPTURE_COLUMNS,
    },
    "raw_pages": {
        "title": "Raw pages",
        "hidden": True,
        "description": (
            "Distinct fetched page bodies, de-duplicated by SHA-256; each stored whole or as a "
            "zstd delta against an earlier body of the same page."
        ),
        "columns": _RAW_PAGE_COLUMNS,
    },
    "article_urls": {
        "title": "Article URLs",
        "hidden": True,
        "description": "Other URLs of an article: redirects, aliases, old URLs after a move.",
        "facets": ["kind"],
        "columns": _ARTICLE_URL_COLUMNS,
    },
    "sources": {
        "title": "Feed and sitemap validators",
        "description": "What each feed and sitemap last answered, for conditional GETs.",
        "columns": _SOURCE_COLUMNS,
    },
    "events": {
        "title": "Lifecycle events",
        "description": "An article went missing, moved, became a soft 404, failed, or came back.",
        "sort_desc": "at",
        "facets": ["kind"],
        "columns": _EVENT_COLUMNS,
    },
    "crawls": {
        "title": "Crawls",
        "description": "One row per crawl cycle of a site, with its counts.",
        "sort_desc": "started",
        "facets": ["site", "status"],
        "columns": _CRAWL_COLUMNS,
    },
    "requests": {
        "title": "Requests to the service",
        "description": "Work that archive and crawl handed to the running service.",
        "hidden": True,
        "sort_desc": "id",
        "columns": _REQUEST_COLUMNS,
    },
    "latest_versions": {
        "title": "Latest versions",
        # Rows carry the whole text: 20 a page keeps the page fast (100 rows of 25 columns
        # took 70 ms to render at 200,000 versions, bench/search.py).
        "size": 20,
        "description": (
            "The newest version of each article. The search box searches the latest text only."
        ),
        "sort_desc": "last_changed",
        "facets": ["site", "status", "change_kind"],
        "label_column": "title",
        "columns": _VIEW_COLUMNS,
    },
    "recent_changes": {
        "title": "Recent changes",
        "description": "Edits to articles after their first version, newest first.",
        "sort_desc": "captured_at",
        "facets": ["site", "change_kind", "title_changed"],
        "label_column": "title",
        "columns": _VIEW_COLUMNS,
    },
    "most_edited": {
        "title": "Most-edited articles",
        "description": "Articles with the most versions.",
        "sort_desc": "version_count",
        "facets": ["site", "status"],
        "label_column": "title",
        "columns": _VIEW_COLUMNS,
    },
}


def glossary_html(description: str, columns: dict[str, str]) -> Markup:
    """A table's description followed by its column notes, folded."""
    items = Markup("").join(
        Markup("<dt>{}</dt><dd>{}</dd>").format(name, note) for name, note in columns.items()
    )
    return Markup(
        '<p>{}</p><details class="na-glossary"><summary>What the columns mean</summary>'
        "<dl>{}</dl></details>"
    ).format(description, items)


def database_metadata() -> dict[str, Any]:
    """Metadata for one archive database (a fresh copy: Datasette may merge into it)."""
    import copy

    tables = copy.deepcopy(TABLES)
    for entry in tables.values():
        columns = entry.pop("columns", {})
        entry["description_html"] = str(glossary_html(entry["description"], columns))
    return {
        "description": DATABASE_DESCRIPTION,
        "tables": tables,
        "queries": copy.deepcopy(CANNED_QUERIES),
    }
