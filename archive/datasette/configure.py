"""Give an archive database its titles, descriptions, table settings and canned queries, on
Datasette 0.65 and on 1.0.

Datasette 1.0 removed the ``get_metadata`` hook and split the old metadata into *metadata*
(titles, descriptions, column notes: stored in its internal database, set with
``set_*_metadata``) and *configuration* (facets, sort order, FTS table, canned queries:
``datasette.config``, read on every request). Datasette 0.65 has neither API: it reads one
metadata dictionary (the one given at construction or with ``-m``). :func:`apply` runs from the
plugin's ``startup`` hook on both lines, so ``datasette archive.db`` and ``newsarchive serve``
get the same pages; whatever the user configured themselves is kept (theirs wins, key by key).

May import: :mod:`archive.datasette.metadata`, Datasette.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from archive.datasette import metadata as archive_metadata

if TYPE_CHECKING:
    from datasette.app import Datasette

# What Datasette 1.0 calls configuration rather than metadata (datasette.utils._table_config_keys).
TABLE_CONFIG_KEYS = frozenset(
    {
        "hidden",
        "sort",
        "sort_desc",
        "size",
        "sortable_columns",
        "label_column",
        "facets",
        "fts_table",
        "fts_pk",
        "searchmode",
    }
)


def is_datasette_1(datasette: Datasette) -> bool:
    """Datasette 1.0 keeps metadata in its internal database (``set_database_metadata``)."""
    return hasattr(datasette, "set_database_metadata")


def split_table(table: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A table's entry as (metadata, configuration), the way Datasette 1.0 splits them."""
    meta = {k: v for k, v in table.items() if k not in TABLE_CONFIG_KEYS}
    config = {k: v for k, v in table.items() if k in TABLE_CONFIG_KEYS}
    return meta, config


def _merge_under(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """*ours* with *theirs* laid over it, recursively: the user's values win."""
    merged = copy.deepcopy(ours)
    for key, value in theirs.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_under(value, merged[key])
        else:
            merged[key] = value
    return merged


async def apply(datasette: Datasette, names: list[str], description_html: dict[str, str]) -> None:
    """Apply the archive metadata to the databases *names* (their routes' links are in
    *description_html*, built by the caller)."""
    databases = {}
    for name in names:
        data = archive_metadata.database_metadata()
        data["description_html"] = description_html[name]
        databases[name] = data
    if is_datasette_1(datasette):
        await _apply_1(datasette, databases)
    else:
        _apply_065(datasette, databases)


def _apply_065(datasette: Datasette, databases: dict[str, dict[str, Any]]) -> None:
    # 0.65 reads its one metadata dictionary on every request; the user's (-m) stays on top.
    ours = {"title": archive_metadata.INSTANCE_TITLE, "databases": databases}
    local = datasette._metadata_local or {}  # no public setter before 1.0
    datasette._metadata_local = _merge_under(local, ours)


async def _apply_1(datasette: Any, databases: dict[str, dict[str, Any]]) -> None:
    instance = await datasette.get_instance_metadata()
    if "title" not in instance:
        await datasette.set_instance_metadata("title", archive_metadata.INSTANCE_TITLE)
    config = datasette.config if datasette.config is not None else {}
    datasette.config = config
    internal = datasette.get_internal_database()
    for name, data in databases.items():
        existing = await datasette.get_database_metadata(name)
        for key in ("description", "description_html"):
            if key not in existing:
                await datasette.set_database_metadata(name, key, data[key])
        db_config = config.setdefault("databases", {}).setdefault(name, {})
        tables_config = db_config.setdefault("tables", {})
        for table, entry in data["tables"].items():
            meta, table_config = split_table(entry)
            current = await datasette.get_resource_metadata(name, table)
            for key, value in meta.items():
                if key not in current:
                    await datasette.set_resource_metadata(name, table, key, value)
            tables_config[table] = {**table_config, **tables_config.get(table, {})}
        taken = {
            row["name"]
            for row in (
                await internal.execute("select name from queries where database_name = ?", [name])
            ).rows
        }
        for query, spec in data["queries"].items():
            if query in taken:
                continue
            await datasette.add_query(
                name,
                query,
                spec["sql"],
                title=spec.get("title"),
                description=spec.get("description"),
                hide_sql=bool(spec.get("hide_sql")),
                is_trusted=True,
                source="plugin",
                replace=False,
            )
