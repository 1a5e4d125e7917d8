"""The import rules of docs/architecture.md, checked on the source: every arrow points down.

Each module's imports (all of them: top level, inside functions, under TYPE_CHECKING) are read
with ``ast`` and mapped to the package ("unit") they come from; a unit may import only the units
its row below names. A new dependency that breaks the layering fails here with the file and
the import that did it, instead of surfacing later as an import cycle.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Units at the ground: they import no other scraper module (``scraper`` is the package's
#: ``__init__``, which only holds the version).
GROUND = {"scraper", "scraper.urls", "scraper.charset", "scraper.logs"}

#: What each scraper unit may import besides itself and the ground. ``archive`` means any
#: archive module.
ALLOWED: dict[str, set[str]] = {
    "scraper": set(),
    "scraper.urls": set(),
    "scraper.charset": set(),
    "scraper.logs": set(),
    "scraper.config": set(),  # and scraper.urls only: see test_config_stands_on_urls_alone
    "scraper.fetch": {"scraper.config"},
    "scraper.discover": {"scraper.config"},
    "scraper.extract": {"scraper.config"},
    "scraper.crawl": {
        "scraper.config",
        "scraper.fetch",
        "scraper.discover",
        "scraper.extract",
        "archive",
    },
    "scraper.demo": {
        "scraper.config",
        "scraper.fetch",
        "scraper.discover",
        "scraper.extract",
        "scraper.crawl",
        "archive",
    },
    "scraper.cli": {
        "scraper.config",
        "scraper.fetch",
        "scraper.discover",
        "scraper.extract",
        "scraper.crawl",
        "scraper.demo",
        "archive",
    },
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@cache
def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every scraper/archive module *path* imports, ``from p import m``
    resolved to ``p.m`` when ``m`` is a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.append((node.lineno, full if is_module(full) else node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in ("scraper", "archive")]


def unit_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "archive":
        return "archive"
    return ".".join(parts[:2])


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_scraper_unit_has_a_rule():
    units = {unit_of(module_name(p)) for p in sources("scraper")}
    assert units <= set(ALLOWED), f"add a row to ALLOWED for {sorted(units - set(ALLOWED))}"


@pytest.mark.parametrize("path", sources("scraper"), ids=lambda p: module_name(p))
def test_scraper_imports_point_down_the_data_flow(path: Path):
    unit = unit_of(module_name(path))
    allowed = ALLOWED[unit] | GROUND | {unit}
    if unit in GROUND:
        allowed = {unit, "scraper"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for line, name in imports_of(path)
        if unit_of(name) not in allowed
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", sources("archive"), ids=lambda p: module_name(p))
def test_archive_never_imports_scraper(path: Path):
    wrong = [
        f"line {line}: {name}" for line, name in imports_of(path) if name.startswith("scraper")
    ]
    assert not wrong, f"{path.relative_to(ROOT)} imports the scraper: {wrong}"


def test_config_stands_on_urls_alone():
    names = {name for _, name in imports_of(ROOT / "scraper" / "config.py")}
    assert names <= {"scraper.urls"}, names


def test_nothing_below_the_cli_imports_it():
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("scraper", "archive")
        for path in sources(package)
        if unit_of(module_name(path)) != "scraper.cli"
        for line, name in imports_of(path)
        if name.startswith("scraper.cli")
    ]
    assert not wrong, wrong


def test_the_rules_see_real_imports():
    """The checker itself: a known import of each kind is found and resolved."""
    crawl = {name for _, name in imports_of(ROOT / "scraper" / "crawl" / "cycle.py")}
    assert {"archive.store", "scraper.discover", "scraper.urls"} <= crawl
    assert unit_of("archive.store.writes") == "archive"
    assert unit_of("scraper.fetch.client") == "scraper.fetch"


def test_declared_package_data_exists():
    """Every file pyproject ships as package data (py.typed, templates, the demo corpus)."""
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = data["tool"]["setuptools"]["package-data"]
    assert {"scraper", "archive"} <= set(declared)
    for package, patterns in declared.items():
        folder = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: nothing matches {pattern}"


def test_every_module_docstring_names_what_it_may_import():
    missing = [
        str(path.relative_to(ROOT))
        for package in ("scraper", "archive")
        for path in sources(package)
        if "May import" not in (ast.get_docstring(ast.parse(path.read_text("utf-8"))) or "")
    ]
    assert not missing, f"add a 'May import: ...' line to the docstring of {missing}"
