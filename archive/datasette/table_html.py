"""The rows of an archive's table pages, rendered by Datasette's own ``_table.html`` without the
async machinery.

Datasette renders its templates with Jinja in async mode: every piece of output is awaited and
handed up through each enclosing template (table.html, the plugin's base.html, Datasette's
base.html, their blocks), about seven pieces per cell. A page of 20 versions has 500 cells:
rendered in one piece the page costs 3-5 ms less CPU, of 20-40 ms (a same-process A/B on the
bench/search.py archive, Datasette 0.65 and 1.0a41). Nothing in
``_table.html`` needs to await (its values are lists, dicts and plain functions), so the
plugin's ``templates/_table.html`` has the same template rendered by a synchronous overlay of
Datasette's environment (same loader, filters and globals) and puts the result in the page as
one piece. The HTML is Datasette's, byte for byte, on whichever Datasette is installed
(tests/test_datasette.py compares it with Datasette's own rendering).

A ``_table.html`` or ``_table-<db>-<table>.html`` in the user's ``--template-dir`` still wins:
Datasette looks there first. Databases that are not archives get Datasette's template as it is.

May import: the plugin's :mod:`~archive.datasette.registry`, Jinja, markupsafe.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from archive.datasette import registry

#: Datasette's own template, by the name its loader gives the default templates.
DEFAULT_TEMPLATE = "default:_table.html"


#: Names a dict has as attributes: Jinja's ``getattr`` finds these on a dict before its items.
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _dict_items_first(jinja_getattr: Any) -> Any:
    """Jinja's ``Environment.getattr`` with a shortcut for plain dicts (Datasette's cells and
    columns): ``cell.value`` is the item at once, where Jinja first tries the attribute and
    catches the AttributeError, about a microsecond a time, four times a cell. The answer is
    Jinja's: a dict has no attributes but those of its type, and any other name falls back to
    Jinja's own lookup (which makes the undefined value)."""

    def getattr_(obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return jinja_getattr(obj, attribute)

    return getattr_


def install(env: Environment, datasette: Any) -> None:
    """Give *env* (Datasette's environment) what the plugin's ``_table.html`` calls."""
    sync = env.overlay(enable_async=False, cache_size=8)  # a cache of its own: sync templates
    sync.getattr = _dict_items_first(sync.getattr)  # type: ignore[method-assign]

    @pass_context
    def na_table_html(context: Context) -> Markup:
        return Markup(sync.get_template(DEFAULT_TEMPLATE).render(context.get_all()))

    env.globals["na_table_html"] = na_table_html
    env.globals["na_is_archive"] = lambda database: registry.is_archive_name(datasette, database)
