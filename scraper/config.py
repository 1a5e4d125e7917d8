"""Load and validate ``config.toml`` into frozen dataclasses.

A long-running service should refuse a bad configuration at start, with a message that says
which file, which key and what is wrong, rather than fail an hour later in a crawl. Every value
is checked here, unknown keys included (a typo such as ``feed = [...]`` would otherwise silently
disable a source), so the rest of the code can trust a :class:`Config`.

Layout (see the commented ``config.toml`` at the repository root)::

    [archive]   db, boilerplate_articles, boilerplate_max_words
    [crawl]     user_agent, timeouts, sizes, politeness, max_articles_per_run, ...
    [[sites]]   name, feeds, sitemaps, listing_pages, include, exclude, schedule, recheck,
                extract, use_robots_sitemaps, max_sitemap_urls, max_feed_entries

Durations are strings such as ``"90s"``, ``"15m"``, ``"3h"``, ``"7d"``, ``"1h30m"``; sizes are
byte counts or strings such as ``"10MiB"``.

May import: :mod:`scraper.urls` only (every other module imports config, never the reverse).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, NoReturn

from apscheduler.triggers.cron import CronTrigger

from scraper.urls import BadURL, host_of, normalize_url

__all__ = [
    "Config",
    "ConfigError",
    "CrawlSettings",
    "Schedule",
    "Site",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_selector",
    "parse_size",
]

DEFAULT_DB = "archive.db"
DEFAULT_EVERY = timedelta(minutes=30)
DEFAULT_MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's bound
DEFAULT_MAX_FEED_ENTRIES = 50_000  # a real feed has tens; past this a feed is cut
DEFAULT_MAX_ARTICLES_PER_RUN = 500


class ConfigError(Exception):
    """The configuration is missing or invalid; the message names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


# --- value parsers (public: the CLI and the demo parse durations and sizes too) ---------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"15m"`` -> 15 minutes. Units: ms, s, m, h, d, w; parts add up (``"1h30m"``)."""
    if not isinstance(text, str):
        raise ValueError(f'expected a duration string such as "15m", got {text!r}')
    stripped = text.strip()
    if not _DURATION.fullmatch(stripped):
        raise ValueError(f'expected a duration such as "90s", "15m", "3h" or "7d", got {text!r}')
    seconds = sum(
        float(number) * _UNIT_SECONDS[unit.lower()]
        for number, unit in _DURATION_PART.findall(stripped)
    )
    return timedelta(seconds=seconds)


def parse_selector(text: str) -> str:
    """A CSS selector the extractor can use (stripped); ValueError naming it otherwise."""
    from selectolax.lexbor import LexborHTMLParser

    try:
        LexborHTMLParser("<p></p>").css(text)
    except Exception as exc:  # selectolax raises its own error type for a bad selector
        raise ValueError(f"invalid CSS selector {text!r} ({exc})") from exc
    return text.strip()


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?", re.IGNORECASE)
_SIZE_FACTORS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(value: int | str) -> int:
    """``10485760`` or ``"10MiB"`` -> bytes. Units: B, KB, MB, GB (1000), KiB, MiB, GiB (1024)."""
    if isinstance(value, bool):
        raise ValueError(f'expected a size such as 10485760 or "10MiB", got {value!r}')
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _SIZE.fullmatch(value.strip())
        if match:
            unit = (match.group(2) or "b").lower()
            return int(float(match.group(1)) * _SIZE_FACTORS[unit])
    raise ValueError(f'expected a size such as 10485760 or "10MiB", got {value!r}')


# --- what the other packages read: fetcher settings, re-check tiers, site rules, triggers ---

MiB = 1024 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves; defaults are the polite ones."""

    user_agent: str = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * MiB
    max_redirects: int = 10
    retries: int = 2  # retries after the first request: 2 = at most 3 requests in all
    backoff_base: float = 1.0
    retry_after_cap: float = 120.0
    per_host_delay: float = 1.0
    per_host_concurrency: int = 1
    global_concurrency: int = 16
    obey_robots: bool = True
    robots_ttl: float = 3600.0
    allow_hosts: frozenset[str] = field(default_factory=frozenset)  # exact "host:port"
    robots_error_ttl: float = 300.0  # how long an unreachable robots.txt means "disallow all"
    max_crawl_delay: float = 60.0  # a robots.txt cannot slow a host down more than this
    backoff_cap: float = 30.0


_FETCH_DEFAULTS = FetchSettings()


class PolicyError(ValueError):
    """A re-check policy that cannot work (unordered tiers, non-positive intervals, ...)."""


@dataclass(frozen=True)
class Tier:
    """Articles younger than ``younger_than`` are checked every ``every``."""

    younger_than: timedelta
    every: timedelta


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier(timedelta(hours=3), timedelta(minutes=15)),
    Tier(timedelta(days=1), timedelta(hours=1)),
    Tier(timedelta(days=7), timedelta(hours=3)),
    Tier(timedelta(days=30), timedelta(days=1)),
)


@dataclass(frozen=True)
class RecheckPolicy:
    """Re-check tiers by age; past the last tier, every ``max_interval`` until ``max_age``."""

    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    max_age: timedelta = timedelta(days=90)
    backoff_after: int = 3
    backoff_factor: float = 2.0
    max_interval: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if not isinstance(self.tiers, tuple) or not all(isinstance(t, Tier) for t in self.tiers):
            raise PolicyError("tiers must be a tuple of Tier values")
        previous: Tier | None = None
        for index, tier in enumerate(self.tiers):
            if tier.younger_than <= zero or tier.every <= zero:
                raise PolicyError(f"tiers[{index}]: younger_than and every must be positive")
            if previous is not None:
                if tier.younger_than <= previous.younger_than:
                    raise PolicyError(
                        f"tiers[{index}]: younger_than must grow from tier to tier "
                        f"({tier.younger_than} after {previous.younger_than})"
                    )
                if tier.every < previous.every:
                    raise PolicyError(
                        f"tiers[{index}]: every must not shrink as articles age "
                        f"({tier.every} after {previous.every})"
                    )
            previous = tier
        if self.max_interval <= zero:
            raise PolicyError("max_interval must be positive")
        if previous is not None and self.max_interval < previous.every:
            raise PolicyError(
                f"max_interval ({self.max_interval}) must be at least the last tier's every "
                f"({previous.every})"
            )
        if self.max_age <= zero:
            raise PolicyError("max_age must be positive")
        if isinstance(self.backoff_after, bool) or not isinstance(self.backoff_after, int):
            raise PolicyError("backoff_after must be an integer")
        if self.backoff_after < 1:
            raise PolicyError("backoff_after must be at least 1")
        if not self.backoff_factor >= 1.0:
            raise PolicyError("backoff_factor must be at least 1.0")


@dataclass(frozen=True)
class ExtractRules:
    """Per-site overrides from config.toml."""

    body_selector: str | None = None
    discard_selectors: tuple[str, ...] = ()


class ScheduleError(ValueError):
    """A site's schedule cannot be turned into a trigger."""


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_weekdays(field: str) -> str:
    """Translate crontab weekday numbers (0 or 7 = Sunday) into names.

    APScheduler 3 numbers weekdays from Monday = 0, unlike crontab's Sunday = 0, so
    ``"0 6 * * 1-5"`` would silently fire Tuesday to Saturday. Names mean the same to both.
    """
    if field in ("*", "?"):
        return field
    days: set[int] = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        if not (body == "*" or body.replace("-", "").isdigit()) or (
            step_text and not step_text.isdigit()
        ):
            return field  # names or APScheduler syntax ("mon-fri", "last"): already unambiguous
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"weekday step must be at least 1 in {field!r}")
        if body == "*":
            first, last = 0, 6
        elif "-" in body:
            first_text, _, last_text = body.partition("-")
            first, last = int(first_text), int(last_text)
        else:
            first = last = int(body)
            if step_text:
                last = 6
        if not (0 <= first <= 7 and 0 <= last <= 7) or first > last:
            raise ScheduleError(f"weekday out of range 0-7 in {field!r}")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def cron_trigger(expr: str, *, jitter: float | None = None) -> CronTrigger:
    """A UTC trigger from a five-field crontab expression, with crontab's weekday numbers."""
    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(f"cron expression {expr!r}: expected 5 fields, got {len(fields)}")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_cron_weekdays(weekday),
            timezone=UTC,
            jitter=jitter,
        )
    except ValueError as exc:
        raise ScheduleError(f"cron expression {expr!r}: {exc}") from exc


# --- the configuration values -----------------------------------------------------------------


@dataclass(frozen=True)
class CrawlSettings:
    """How crawls behave, for every site; defaults come from :class:`FetchSettings`."""

    user_agent: str = _FETCH_DEFAULTS.user_agent
    connect_timeout: float = _FETCH_DEFAULTS.connect_timeout
    read_timeout: float = _FETCH_DEFAULTS.read_timeout
    total_timeout: float = _FETCH_DEFAULTS.total_timeout
    max_page_size: int = _FETCH_DEFAULTS.max_bytes
    max_redirects: int = _FETCH_DEFAULTS.max_redirects
    retries: int = _FETCH_DEFAULTS.retries
    per_host_delay: float = _FETCH_DEFAULTS.per_host_delay
    per_host_concurrency: int = _FETCH_DEFAULTS.per_host_concurrency
    global_concurrency: int = _FETCH_DEFAULTS.global_concurrency
    obey_robots: bool = _FETCH_DEFAULTS.obey_robots
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    max_articles_per_run: int = DEFAULT_MAX_ARTICLES_PER_RUN

    def fetch_settings(self) -> FetchSettings:
        """The fetcher's settings; fields the config does not set keep the fetcher's defaults."""
        return FetchSettings(
            user_agent=self.user_agent,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_page_size,
            max_redirects=self.max_redirects,
            retries=self.retries,
            per_host_delay=self.per_host_delay,
            per_host_concurrency=self.per_host_concurrency,
            global_concurrency=self.global_concurrency,
            obey_robots=self.obey_robots,
            allow_hosts=self.allow_hosts,
        )


@dataclass(frozen=True)
class Schedule:
    """When a site is crawled: every fixed interval, or on a cron expression (UTC)."""

    every: timedelta | None = DEFAULT_EVERY
    cron: str | None = None
    jitter: timedelta = timedelta(0)


@dataclass(frozen=True)
class Site:
    """A news site: where to discover its articles and how to treat them."""

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listing_pages: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    policy: RecheckPolicy = field(default_factory=RecheckPolicy)
    rules: ExtractRules = field(default_factory=ExtractRules)
    use_robots_sitemaps: bool = True
    max_sitemap_urls: int = DEFAULT_MAX_SITEMAP_URLS
    max_feed_entries: int = DEFAULT_MAX_FEED_ENTRIES
    _include_re: tuple[re.Pattern[str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _exclude_re: tuple[re.Pattern[str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include_re", tuple(re.compile(p) for p in self.include))
        object.__setattr__(self, "_exclude_re", tuple(re.compile(p) for p in self.exclude))

    @property
    def sources(self) -> tuple[str, ...]:
        """Every configured discovery URL (feeds, sitemaps, listing pages)."""
        return self.feeds + self.sitemaps + self.listing_pages

    def matches(self, url: str, *, normalized: bool = False) -> bool:
        """True when the normalized *url* passes include (any, when given) and no exclude.

        *normalized* says *url* already is (discovery's URLs are): normalizing 50,000 sitemap
        URLs a second time costs seconds."""
        if not normalized:
            try:
                url = normalize_url(url)
            except BadURL:
                return False
        normalized_url = url
        if self._include_re and not any(p.search(normalized_url) for p in self._include_re):
            return False
        return not any(p.search(normalized_url) for p in self._exclude_re)


@dataclass(frozen=True)
class Config:
    """The whole configuration: where the archive lives, how to crawl, which sites."""

    path: Path | None
    db_path: Path
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    sites: tuple[Site, ...] = ()
    #: A block seen on this many different articles of a site is that site's boilerplate
    #: (0: never learn); blocks longer than ``boilerplate_max_words`` words are never learnt.
    boilerplate_articles: int = 8
    boilerplate_max_words: int = 30

    def site(self, name: str) -> Site:
        """The site called *name*; ConfigError listing the known names otherwise."""
        for site in self.sites:
            if site.name == name:
                return site
        known = ", ".join(s.name for s in self.sites) or "none"
        source = str(self.path) if self.path else "config"
        raise ConfigError(source, "sites", f"no site named {name!r} (sites: {known})")

    def site_for(self, url: str) -> Site | None:
        """The site whose sources share *url*'s host and whose rules accept it, if any."""
        host = host_of(url)
        for site in self.sites:
            if any(host_of(s) == host for s in site.sources) and site.matches(url):
                return site
        return None


# --- loading -----------------------------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read and validate the TOML file at *path*; ``[archive] db`` is relative to its folder."""
    config_path = Path(path)
    source = str(config_path)
    if not config_path.exists():
        raise ConfigError(
            source,
            "",
            "no such file. Create one by copying config.toml from the newsarchive source "
            "(it is commented key by key) and listing your sites under [[sites]], "
            "or point to another file with --config PATH",
        )
    if config_path.is_dir():
        raise ConfigError(source, "", "is a directory, expected a TOML file")
    try:
        raw = config_path.read_bytes()
    except OSError as exc:
        raise ConfigError(source, "", f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "", f"not UTF-8 text (byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
        config = parse_config(data, source=source, base_dir=config_path.resolve().parent)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"invalid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib (and repr) recurse once per level of nesting
        raise ConfigError(source, "", "invalid TOML: arrays or tables nested too deeply") from exc
    return dataclasses.replace(config, path=config_path.resolve())


def parse_config(
    data: Mapping[str, Any], *, source: str = "config.toml", base_dir: Path | None = None
) -> Config:
    """Validate parsed TOML *data*; *base_dir* anchors a relative ``[archive] db`` path."""
    v = _Validator(source)
    if not isinstance(data, Mapping):
        raise ConfigError(source, "", f"expected a TOML table, got {type(data).__name__}")
    v.keys(data, "", {"archive", "crawl", "sites"})

    archive = v.table(data, "archive", "archive")
    v.keys(archive, "archive", {"db", "boilerplate_articles", "boilerplate_max_words"})
    db = v.get(archive, "db", "archive.db", DEFAULT_DB, v.string)
    boilerplate_articles = v.get(
        archive, "boilerplate_articles", "archive.boilerplate_articles", 8, v.int_at_least(0)
    )
    if boilerplate_articles == 1:
        v.fail(
            "archive.boilerplate_articles",
            "must be 0 (never learn) or at least 2: one article is not a pattern",
            boilerplate_articles,
        )
    boilerplate_max_words = v.get(
        archive, "boilerplate_max_words", "archive.boilerplate_max_words", 30, v.int_at_least(1)
    )
    db_path = Path(db).expanduser()
    if base_dir is not None and not db_path.is_absolute():
        db_path = base_dir / db_path

    crawl = _parse_crawl(v, v.table(data, "crawl", "crawl"))

    raw_sites = data.get("sites", [])
    if not isinstance(raw_sites, list):
        v.fail("sites", "expected a list of [[sites]] tables", raw_sites)
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for index, raw_site in enumerate(raw_sites):
        key = f"sites[{index}]"
        if not isinstance(raw_site, Mapping):
            v.fail(key, "expected a [[sites]] table", raw_site)
        site = _parse_site(v, raw_site, key)
        if site.name in seen:
            v.fail(f"{key}.name", f"duplicate site name (also sites[{seen[site.name]}])", site.name)
        seen[site.name] = index
        sites.append(site)

    return Config(
        path=None,
        db_path=db_path,
        crawl=crawl,
        sites=tuple(sites),
        boilerplate_articles=boilerplate_articles,
        boilerplate_max_words=boilerplate_max_words,
    )


_CRAWL_KEYS = set(CrawlSettings.__dataclass_fields__)  # every setting is a config key
_CONTACT = re.compile(r"https?://[^\s/]+\.[^\s]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


def _parse_crawl(v: _Validator, table: Mapping[str, Any]) -> CrawlSettings:
    v.keys(table, "crawl", _CRAWL_KEYS)
    d = CrawlSettings()

    def key(name: str) -> str:
        return f"crawl.{name}"

    user_agent = v.get(table, "user_agent", key("user_agent"), d.user_agent, v.string)
    if re.search(r"[\x00-\x1f\x7f]", user_agent):
        v.fail(
            key("user_agent"), "control characters (such as a newline) are not allowed", user_agent
        )
    if not user_agent.isascii():
        # An HTTP header value is bytes: httpx sends ASCII and fails on anything else.
        odd = "".join(sorted({c for c in user_agent if not c.isascii()}))
        v.fail(
            key("user_agent"),
            f"must be ASCII (it is sent as an HTTP header); found {odd!r}",
            user_agent,
        )
    if not _CONTACT.search(user_agent):
        v.fail(
            key("user_agent"),
            "must include a contact URL or email address so site owners can reach you, "
            'e.g. "newsarchive/0.1 (+https://example.org/contact)"',
            user_agent,
        )
    per_host = v.get(
        table,
        "per_host_concurrency",
        key("per_host_concurrency"),
        d.per_host_concurrency,
        v.int_at_least(1),
    )
    global_ = v.get(
        table,
        "global_concurrency",
        key("global_concurrency"),
        d.global_concurrency,
        v.int_at_least(1),
    )
    if per_host > global_:
        v.fail(
            key("per_host_concurrency"),
            f"must not exceed crawl.global_concurrency ({global_})",
            per_host,
        )
    allow_hosts = frozenset(
        v.host_port(item, f"{key('allow_hosts')}[{i}]")
        for i, item in enumerate(v.get(table, "allow_hosts", key("allow_hosts"), [], v.list_of))
    )
    return CrawlSettings(
        user_agent=user_agent.strip(),
        connect_timeout=v.get(
            table, "connect_timeout", key("connect_timeout"), d.connect_timeout, v.seconds
        ),
        read_timeout=v.get(table, "read_timeout", key("read_timeout"), d.read_timeout, v.seconds),
        total_timeout=v.get(
            table, "total_timeout", key("total_timeout"), d.total_timeout, v.seconds
        ),
        max_page_size=v.get(table, "max_page_size", key("max_page_size"), d.max_page_size, v.size),
        max_redirects=v.get(
            table, "max_redirects", key("max_redirects"), d.max_redirects, v.int_at_least(0)
        ),
        retries=v.get(table, "retries", key("retries"), d.retries, v.int_at_least(0)),
        per_host_delay=v.get(
            table, "per_host_delay", key("per_host_delay"), d.per_host_delay, v.seconds_or_zero
        ),
        per_host_concurrency=per_host,
        global_concurrency=global_,
        obey_robots=v.get(table, "obey_robots", key("obey_robots"), d.obey_robots, v.boolean),
        allow_hosts=allow_hosts,
        max_articles_per_run=v.get(
            table,
            "max_articles_per_run",
            key("max_articles_per_run"),
            d.max_articles_per_run,
            v.int_at_least(1),
        ),
    )


_SITE_KEYS = {
    "name",
    "feeds",
    "sitemaps",
    "listing_pages",
    "include",
    "exclude",
    "schedule",
    "recheck",
    "extract",
    "use_robots_sitemaps",
    "max_sitemap_urls",
    "max_feed_entries",
}
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def _parse_site(v: _Validator, table: Mapping[str, Any], key: str) -> Site:
    v.keys(table, key, _SITE_KEYS)
    if "name" not in table:
        v.fail(f"{key}.name", 'missing; every site needs a short unique name such as "bbc"')
    name = v.string(table["name"], f"{key}.name")
    if not _SLUG.fullmatch(name):
        v.fail(
            f"{key}.name",
            "expected a slug: lowercase letters, digits, '-' or '_' "
            "(at most 63 characters, starting with a letter or digit)",
            name,
        )

    def urls(field_name: str) -> tuple[str, ...]:
        items = v.get(table, field_name, f"{key}.{field_name}", [], v.list_of)
        return tuple(v.url(item, f"{key}.{field_name}[{i}]") for i, item in enumerate(items))

    feeds, sitemaps, listing_pages = urls("feeds"), urls("sitemaps"), urls("listing_pages")
    if not (feeds or sitemaps or listing_pages):
        v.fail(
            key,
            f"site {name!r} has no source: give at least one of feeds, sitemaps or listing_pages",
        )

    def patterns(field_name: str) -> tuple[str, ...]:
        items = v.get(table, field_name, f"{key}.{field_name}", [], v.list_of)
        return tuple(v.regex(item, f"{key}.{field_name}[{i}]") for i, item in enumerate(items))

    max_sitemap_urls = v.get(
        table,
        "max_sitemap_urls",
        f"{key}.max_sitemap_urls",
        DEFAULT_MAX_SITEMAP_URLS,
        v.int_at_least(1),
    )
    max_feed_entries = v.get(
        table,
        "max_feed_entries",
        f"{key}.max_feed_entries",
        DEFAULT_MAX_FEED_ENTRIES,
        v.int_at_least(1),
    )
    return Site(
        name=name,
        feeds=feeds,
        sitemaps=sitemaps,
        listing_pages=listing_pages,
        include=patterns("include"),
        exclude=patterns("exclude"),
        schedule=_parse_schedule(v, table.get("schedule"), f"{key}.schedule"),
        policy=_parse_recheck(v, table.get("recheck"), f"{key}.recheck"),
        rules=_parse_extract(v, table.get("extract"), f"{key}.extract"),
        use_robots_sitemaps=v.get(
            table, "use_robots_sitemaps", f"{key}.use_robots_sitemaps", True, v.boolean
        ),
        max_sitemap_urls=max_sitemap_urls,
        max_feed_entries=max_feed_entries,
    )


def _parse_schedule(v: _Validator, raw: Any, key: str) -> Schedule:
    if raw is None:
        return Schedule()
    if not isinstance(raw, Mapping):
        v.fail(key, 'expected a table such as { every = "30m" } or { cron = "*/30 * * * *" }', raw)
    v.keys(raw, key, {"every", "cron", "jitter"})
    if "every" in raw and "cron" in raw:
        v.fail(key, "give either every or cron, not both")
    jitter = v.get(raw, "jitter", f"{key}.jitter", timedelta(0), v.duration_or_zero)
    if "cron" in raw:
        cron = v.string(raw["cron"], f"{key}.cron").strip()
        # The scheduler's own parser, so that what passes here is what runs (crontab weekdays).
        try:
            cron_trigger(cron)
        except ValueError as exc:
            v.fail(f"{key}.cron", f"invalid cron expression ({exc})")
        return Schedule(every=None, cron=cron, jitter=jitter)
    every = v.get(raw, "every", f"{key}.every", DEFAULT_EVERY, v.duration)
    return Schedule(every=every, cron=None, jitter=jitter)


def _parse_recheck(v: _Validator, raw: Any, key: str) -> RecheckPolicy:
    if raw is None:
        return RecheckPolicy()
    if not isinstance(raw, Mapping):
        v.fail(key, "expected a table with tiers and max_age", raw)
    v.keys(raw, key, {"tiers", "max_age", "backoff_after", "backoff_factor", "max_interval"})
    defaults = RecheckPolicy()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    if "tiers" in raw:
        items = v.list_of(raw["tiers"], f"{key}.tiers")
        parsed = []
        for i, item in enumerate(items):
            tkey = f"{key}.tiers[{i}]"
            if not isinstance(item, Mapping):
                v.fail(
                    tkey, 'expected a table such as { younger_than = "3h", every = "15m" }', item
                )
            v.keys(item, tkey, {"younger_than", "every"})
            for required in ("younger_than", "every"):
                if required not in item:
                    v.fail(f"{tkey}.{required}", "missing")
            parsed.append(
                Tier(
                    younger_than=v.duration(item["younger_than"], f"{tkey}.younger_than"),
                    every=v.duration(item["every"], f"{tkey}.every"),
                )
            )
        tiers = tuple(parsed)
    try:
        return RecheckPolicy(
            tiers=tiers,
            max_age=v.get(raw, "max_age", f"{key}.max_age", defaults.max_age, v.duration),
            backoff_after=v.get(
                raw,
                "backoff_after",
                f"{key}.backoff_after",
                defaults.backoff_after,
                v.int_at_least(1),
            ),
            backoff_factor=v.get(
                raw, "backoff_factor", f"{key}.backoff_factor", defaults.backoff_factor, v.factor
            ),
            max_interval=v.get(
                raw, "max_interval", f"{key}.max_interval", defaults.max_interval, v.duration
            ),
        )
    except PolicyError as exc:
        v.fail(key, str(exc))


def _parse_extract(v: _Validator, raw: Any, key: str) -> ExtractRules:
    if raw is None:
        return ExtractRules()
    if not isinstance(raw, Mapping):
        v.fail(key, "expected a table with body_selector and/or discard_selectors", raw)
    v.keys(raw, key, {"body_selector", "discard_selectors"})
    body = None
    if "body_selector" in raw:
        body = v.selector(raw["body_selector"], f"{key}.body_selector")
    discard = tuple(
        v.selector(item, f"{key}.discard_selectors[{i}]")
        for i, item in enumerate(
            v.get(raw, "discard_selectors", f"{key}.discard_selectors", [], v.list_of)
        )
    )
    return ExtractRules(body_selector=body, discard_selectors=discard)


# --- checks that raise ConfigError naming the key ----------------------------------------------


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, Mapping):
        text = "a table"
    elif isinstance(value, list):
        text = "a list"
    return text if len(text) <= 80 else text[:77] + "..."


class _Validator:
    """Type checks that turn a bad value into a ConfigError naming its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str, value: Any = ...) -> NoReturn:
        if value is not ...:
            problem = f"{problem}, got {_show(value)}"
        raise ConfigError(self.source, key, problem)

    def keys(self, table: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                hint = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
                problem = "unknown key"
                if hint:
                    problem += f" (did you mean {hint[0]!r}?)"
                else:
                    problem += f" (allowed: {', '.join(sorted(allowed))})"
                self.fail(where, problem)

    def table(self, data: Mapping[str, Any], name: str, key: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a [{name}] table", value)
        return value

    def get(
        self,
        table: Mapping[str, Any],
        name: str,
        key: str,
        default: Any,
        check: Callable[[Any, str], Any],
    ) -> Any:
        return check(table[name], key) if name in table else default

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "expected a non-empty string", value)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, "expected true or false", value)
        return value

    def int_at_least(self, minimum: int) -> Callable[[Any, str], int]:
        def check(value: Any, key: str) -> int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(key, "expected an integer", value)
            if value < minimum:
                self.fail(key, f"must be at least {minimum}", value)
            return value

        return check

    def factor(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, "expected a number", value)
        if not 1.0 <= value <= 100.0:
            self.fail(key, "must be between 1.0 and 100.0", value)
        return float(value)

    def _seconds(self, value: Any, key: str, allow_zero: bool) -> float:
        if isinstance(value, bool):
            self.fail(key, 'expected seconds (a number) or a duration such as "30s"', value)
        if isinstance(value, int | float):
            seconds = float(value)
        elif isinstance(value, str):
            try:
                seconds = parse_duration(value).total_seconds()
            except ValueError as exc:
                self.fail(key, str(exc))
        else:
            self.fail(key, 'expected seconds (a number) or a duration such as "30s"', value)
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            self.fail(key, "expected a finite number of seconds", value)
        if seconds < 0 or (seconds == 0 and not allow_zero):
            self.fail(key, "must be positive" if not allow_zero else "must not be negative", value)
        return seconds

    def seconds(self, value: Any, key: str) -> float:
        return self._seconds(value, key, allow_zero=False)

    def seconds_or_zero(self, value: Any, key: str) -> float:
        return self._seconds(value, key, allow_zero=True)

    def duration(self, value: Any, key: str) -> timedelta:
        try:
            result = parse_duration(value)
        except ValueError as exc:
            self.fail(key, str(exc))
        if result <= timedelta(0):
            self.fail(key, "must be longer than zero", value)
        return result

    def duration_or_zero(self, value: Any, key: str) -> timedelta:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(key, str(exc))

    def size(self, value: Any, key: str) -> int:
        try:
            result = parse_size(value)
        except ValueError as exc:
            self.fail(key, str(exc))
        if result < 1024:
            self.fail(key, "must be at least 1KiB", value)
        return result

    def list_of(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(key, "expected a list", value)
        return value

    def url(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, "expected a URL (http or https)", value)
        try:
            normalize_url(value)
        except BadURL as exc:
            self.fail(key, f"expected a URL (http or https): {exc}")
        return value.strip()

    def regex(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(key, "expected a regular expression string", value)
        try:
            re.compile(value)
        except re.error as exc:
            self.fail(key, f"invalid regular expression {value!r}: {exc}")
        return value

    def selector(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "expected a non-empty CSS selector string", value)
        try:
            return parse_selector(value)
        except ValueError as exc:
            self.fail(key, str(exc))

    def host_port(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, 'expected "host:port"', value)
        match = _HOST_PORT.fullmatch(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 65535:
            self.fail(key, 'expected "host:port" such as "127.0.0.1:8080"', value)
        return f"{match.group(1).lower()}:{int(match.group(2))}"
