"""Datasette metadata for an archive database: descriptions, facets, sorting, FTS, canned queries.

Kept as data, apart from the plugin code, so it can be read (and reviewed) as a whole. The
plugin serves it through the ``get_metadata`` hook for every database that is a newsarchive
archive, so ``datasette archive.db`` gets it as well as ``newsarchive serve``. A user's own
``metadata.json`` still takes precedence.
"""

from __future__ import annotations

from typing import Any

INSTANCE_TITLE = "News archive"
DATABASE_DESCRIPTION = (
    "Every editorial version of the archived news articles. Start from recent changes, search "
    "the text of every version, or open an article's history to see how it changed."
)

# A snippet's highlight marks in canned queries: private-use characters (see archive.search)
# turned into <mark> by the plugin's render_cell after escaping.
_SNIPPET = "snippet(versions_fts, -1, char(57344), char(57345), '…', 16)"

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "recent_changes": {
        "title": "Recent changes",
        "description": "Edits to articles after their first version, newest first.",
        "sql": (
            "select version_id, article_id, site, captured_at, version, change_kind,\n"
            "  words_added, words_removed, title_changed, title, url\n"
            "from recent_changes\n"
            "limit 200"
        ),
    },
    "most_edited": {
        "title": "Most-edited articles",
        "description": "Articles with the most versions.",
        "sql": (
            "select article_id, site, version_count, last_changed, status, title, url\n"
            "from most_edited\n"
            "limit 100"
        ),
    },
    "removed_after_publication": {
        "title": "Articles removed after publication",
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
        "description": (
            "For each article, the earliest version whose title or text contains the phrase "
            "(word stems match: 'closes' finds 'closed')."
        ),
        "sql": (
            "with matching as (\n"
            "  select v.* from versions v\n"
            "  where :phrase != '' and v.id in (\n"
            "    select rowid from versions_fts\n"
            "    where versions_fts match '\"' || replace(:phrase, '\"', '\"\"') || '\"'\n"
            "  )\n"
            ")\n"
            "select m.id as version_id, m.article_id, a.site, m.version, m.captured_at,"
            " m.title, a.url\n"
            "from matching m join articles a on a.id = m.article_id\n"
            "where m.version = (select min(version) from matching x"
            " where x.article_id = m.article_id)\n"
            "order by m.captured_at"
        ),
    },
    "search": {
        "title": "Search with snippets",
        "description": (
            "Full-text search of every version's title and text; matching words are highlighted."
        ),
        "sql": (
            "select v.id as version_id, v.article_id, a.site, v.version, v.captured_at,\n"
            f"  v.title, {_SNIPPET} as snippet, a.url\n"
            "from versions_fts\n"
            "join versions v on v.id = versions_fts.rowid\n"
            "join articles a on a.id = v.article_id\n"
            "where :q != '' and versions_fts match escape_fts(:q)\n"
            "order by bm25(versions_fts, 2.0, 1.0)\n"
            "limit 50"
        ),
    },
}

_ARTICLE_COLUMNS = {
    "id": "Article id (also accepted by the CLI in place of the URL).",
    "url": "Canonical URL, normalized.",
    "site": "Site name from config.toml.",
    "status": "new, live, gone (404/410), moved, soft-404 or failing.",
    "moved_to": "Where the article redirects to, when it moved.",
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
    "change_kind": "first, typo, rewording, addition, removal, headline or rewrite.",
    "change_summary": "Paragraphs and words added/removed/edited/moved, as JSON.",
    "words_added": "Words added since the previous version.",
    "words_removed": "Words removed since the previous version.",
    "title_changed": "1 when the headline changed.",
    "method": "Which extraction rule found the text.",
}
_CAPTURE_COLUMNS = {
    "fetched_at": "When the page was fetched.",
    "outcome": "new-version, unchanged, not-modified, error, gone, moved, skipped, not-html.",
    "reason": "Why a fetch failed or was skipped (timeout, robots, http-404...).",
    "status_code": "HTTP status.",
    "raw_page_id": "The stored page body (compressed).",
    "version_id": "The version this capture created, if any.",
    "elapsed_ms": "Fetch time in milliseconds.",
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
        "description": (
            "Every distinct editorial version of every article. Search title and text with "
            "the search box; the change kind says what kind of edit made the version."
        ),
        "sort_desc": "captured_at",
        "facets": ["change_kind", "title_changed"],
        "label_column": "title",
        "fts_table": "versions_fts",
        "fts_pk": "id",
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
        "description": "Distinct fetched page bodies, zstd-compressed, de-duplicated by SHA-256.",
    },
    "article_urls": {
        "title": "Article URLs",
        "description": "Other URLs of an article: redirects, aliases, old URLs after a move.",
        "facets": ["kind"],
    },
    "events": {
        "title": "Lifecycle events",
        "description": "An article went missing, moved, became a soft 404, failed, or came back.",
        "sort_desc": "at",
        "facets": ["kind"],
    },
    "crawls": {
        "title": "Crawls",
        "description": "One row per crawl cycle of a site, with its counts.",
        "sort_desc": "started",
        "facets": ["site", "status"],
    },
    "latest_versions": {
        "title": "Latest versions",
        "description": (
            "The newest version of each article. The search box searches the latest text only."
        ),
        "sort_desc": "last_changed",
        "facets": ["site", "status", "change_kind"],
        "label_column": "title",
    },
    "recent_changes": {
        "title": "Recent changes",
        "description": "Versions after the first, newest first.",
        "facets": ["site", "change_kind", "title_changed"],
        "label_column": "title",
    },
    "most_edited": {
        "title": "Most-edited articles",
        "description": "Articles by number of versions.",
        "facets": ["site", "status"],
        "label_column": "title",
    },
}


def database_metadata() -> dict[str, Any]:
    """Metadata for one archive database (a fresh copy: Datasette may merge into it)."""
    import copy

    return {
        "description": DATABASE_DESCRIPTION,
        "tables": copy.deepcopy(TABLES),
        "queries": copy.deepcopy(CANNED_QUERIES),
    }


def instance_metadata(archive_databases: list[str]) -> dict[str, Any]:
    return {
        "title": INSTANCE_TITLE,
        "databases": {name: database_metadata() for name in archive_databases},
    }
