from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from scraper.config import (
    Config,
    ConfigError,
    CrawlSettings,
    Schedule,
    Site,
    load_config,
    parse_config,
    parse_duration,
    parse_size,
)
from scraper.crawl.policy import RecheckPolicy, Tier
from scraper.extract import ExtractRules
from scraper.fetch.client import FetchSettings

ROOT = Path(__file__).resolve().parent.parent

UA = "newsarchive-test/1 (+https://example.org/contact)"


def config(sites: list[dict[str, Any]] | None = None, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"crawl": {"user_agent": UA}}
    data.update(sections)
    data["sites"] = (
        sites if sites is not None else [{"name": "one", "feeds": ["https://e.com/feed"]}]
    )
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return str(info.value)


def test_shipped_config_is_valid() -> None:
    cfg = load_config(ROOT / "config.toml")
    assert cfg.path == (ROOT / "config.toml").resolve()
    assert cfg.db_path == ROOT / "archive.db"
    names = [s.name for s in cfg.sites]
    assert "iranfocus" in names and len(names) >= 4
    iranfocus = cfg.site("iranfocus")
    assert "https://www.iranfocus.com/en/feed/" in iranfocus.feeds
    assert iranfocus.matches(
        "https://www.iranfocus.com/en/blog/the-meks-role-in-the-iran-iraq-war/"
    )
    assert not iranfocus.matches("https://www.iranfocus.com/en/category/news/")
    for site in cfg.sites:
        assert site.sources
    assert "https://" in cfg.crawl.user_agent
    assert isinstance(cfg.crawl.fetch_settings(), FetchSettings)


def test_defaults() -> None:
    cfg = parse_config(config())
    assert cfg.db_path == Path("archive.db")
    assert cfg.crawl == CrawlSettings(user_agent=UA)
    (site,) = cfg.sites
    assert site.schedule == Schedule(every=timedelta(minutes=30))
    assert site.policy == RecheckPolicy()
    assert site.rules == ExtractRules()
    assert site.use_robots_sitemaps is True
    assert site.max_sitemap_urls == 50_000
    assert site.max_feed_entries == 50_000


def test_everything_set(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "news.toml"
    path.write_text(
        """
[archive]
db = "data/news.db"

[crawl]
user_agent = "bot/1 (mailto:ops@example.org)"
connect_timeout = "5s"
read_timeout = 7.5
total_timeout = "1m"
max_page_size = "2MiB"
max_redirects = 4
retries = 0
per_host_delay = 0
per_host_concurrency = 2
global_concurrency = 8
obey_robots = false
allow_hosts = ["127.0.0.1:8080", "LocalHost:9000"]
max_articles_per_run = 50

[[sites]]
name = "local_news-1"
feeds = ["http://127.0.0.1:8080/feed.xml"]
sitemaps = ["http://127.0.0.1:8080/sitemap.xml"]
listing_pages = ["http://127.0.0.1:8080/world/"]
include = ['/\\d{4}/']
exclude = ['/live/']
use_robots_sitemaps = false
max_sitemap_urls = 100
schedule = { cron = "*/10 * * * *", jitter = "30s" }
extract = { body_selector = "div.story", discard_selectors = [".ad", "aside.related"] }

[sites.recheck]
max_age = "10d"
max_interval = "2d"
backoff_after = 2
backoff_factor = 1.5
tiers = [
    { younger_than = "1h", every = "5m" },
    { younger_than = "1d", every = "1h" },
]
""",
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert cfg.db_path == tmp_path / "cfg" / "data" / "news.db"
    crawl = cfg.crawl
    assert crawl.connect_timeout == 5.0 and crawl.read_timeout == 7.5
    assert crawl.total_timeout == 60.0
    assert crawl.max_page_size == 2 * 1024 * 1024
    assert crawl.allow_hosts == frozenset({"127.0.0.1:8080", "localhost:9000"})
    settings = crawl.fetch_settings()
    assert settings.max_bytes == 2 * 1024 * 1024
    assert settings.user_agent == "bot/1 (mailto:ops@example.org)"
    assert settings.obey_robots is False and settings.retries == 0
    assert settings.per_host_delay == 0.0
    assert settings.robots_ttl == FetchSettings().robots_ttl  # not configurable: default kept
    site = cfg.site("local_news-1")
    assert site.schedule == Schedule(every=None, cron="*/10 * * * *", jitter=timedelta(seconds=30))
    assert site.rules == ExtractRules("div.story", (".ad", "aside.related"))
    assert site.policy == RecheckPolicy(
        tiers=(
            Tier(timedelta(hours=1), timedelta(minutes=5)),
            Tier(timedelta(days=1), timedelta(hours=1)),
        ),
        max_age=timedelta(days=10),
        max_interval=timedelta(days=2),
        backoff_after=2,
        backoff_factor=1.5,
    )
    assert site.matches("http://127.0.0.1:8080/2026/story?utm_source=x")
    assert not site.matches("http://127.0.0.1:8080/2026/live/story")
    assert not site.matches("http://127.0.0.1:8080/about")
    assert not site.matches("not a url")


@pytest.mark.parametrize("cron", ["*/30 * * * *", "0 6 * * 1-5", "0 6 * * 7", "5,35 * * * *"])
def test_crontab_expressions_accepted(cron: str) -> None:
    site = {"name": "a", "feeds": ["https://e.com/f"], "schedule": {"cron": f" {cron} "}}
    assert parse_config(config([site])).sites[0].schedule.cron == cron


def test_absolute_db_path_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    cfg = parse_config(config(archive={"db": str(db)}), base_dir=Path("/nowhere"))
    assert cfg.db_path == db


def test_error_names_file_key_and_value() -> None:
    sites = [
        {"name": "a", "feeds": ["https://e.com/a"]},
        {"name": "b", "feeds": ["https://e.com/b"]},
        {"name": "c", "feeds": [42]},
    ]
    assert (
        error_of(config(sites))
        == "config.toml: sites[2].feeds[0]: expected a URL (http or https), got 42"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(config(sites), source="/etc/newsarchive.toml")
    assert info.value.source == "/etc/newsarchive.toml"
    assert info.value.key == "sites[2].feeds[0]"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            config(crawl={"user_agnet": UA}),
            "crawl.user_agnet: unknown key (did you mean 'user_agent'?)",
        ),
        (
            config([{"name": "a", "feed": ["https://e.com/f"]}]),
            "sites[0].feed: unknown key (did you mean 'feeds'?)",
        ),
        (config(archiv={"db": "x"}), "archiv: unknown key (did you mean 'archive'?)"),
        (config(zzz=1), "zzz: unknown key (allowed: archive, crawl, sites)"),
        (config(crawl={"user_agent": "mybot/1.0"}), "crawl.user_agent: must include a contact URL"),
        (config(crawl={"user_agent": "bot (+https://e.org)\r\nX-Evil: 1"}), "control characters"),
        (config(crawl={"user_agent": UA, "retries": True}), "crawl.retries: expected an integer"),
        (config(crawl={"user_agent": UA, "retries": -1}), "crawl.retries: must be at least 0"),
        (
            config(crawl={"user_agent": UA, "read_timeout": "soon"}),
            "crawl.read_timeout: expected a duration",
        ),
        (
            config(crawl={"user_agent": UA, "connect_timeout": 0}),
            "crawl.connect_timeout: must be positive",
        ),
        (
            config(crawl={"user_agent": UA, "max_page_size": "10 parsecs"}),
            "crawl.max_page_size: expected a size",
        ),
        (
            config(crawl={"user_agent": UA, "allow_hosts": ["localhost"]}),
            'crawl.allow_hosts[0]: expected "host:port"',
        ),
        (
            config(crawl={"user_agent": UA, "per_host_concurrency": 9, "global_concurrency": 4}),
            "must not exceed crawl.global_concurrency",
        ),
        (config(archive={"db": ""}), "archive.db: expected a non-empty string"),
        (config(archive="x.db"), "archive: expected a [archive] table"),
        (config([{"feeds": ["https://e.com/f"]}]), "sites[0].name: missing"),
        (
            config([{"name": "Big News!", "feeds": ["https://e.com/f"]}]),
            "sites[0].name: expected a slug",
        ),
        (
            config(
                [
                    {"name": "a", "feeds": ["https://e.com/f"]},
                    {"name": "a", "feeds": ["https://e.com/g"]},
                ]
            ),
            "sites[1].name: duplicate site name (also sites[0])",
        ),
        (config([{"name": "a"}]), "sites[0]: site 'a' has no source"),
        (config([{"name": "a", "feeds": "https://e.com/f"}]), "sites[0].feeds: expected a list"),
        (
            config([{"name": "a", "feeds": ["ftp://e.com/f"]}]),
            "sites[0].feeds[0]: expected a URL (http or https)",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "include": ["ok", "(unclosed"]}]),
            "sites[0].include[1]: invalid regular expression '(unclosed'",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "schedule": {"every": "often"}}]),
            "sites[0].schedule.every: expected a duration",
        ),
        (
            config(
                [
                    {
                        "name": "a",
                        "feeds": ["https://e.com/f"],
                        "schedule": {"every": "5m", "cron": "* * * * *"},
                    }
                ]
            ),
            "sites[0].schedule: give either every or cron, not both",
        ),
        (
            config(
                [{"name": "a", "feeds": ["https://e.com/f"], "schedule": {"cron": "61 * * * *"}}]
            ),
            "sites[0].schedule.cron: invalid cron expression",
        ),
        (
            config(
                [
                    {
                        "name": "a",
                        "feeds": ["https://e.com/f"],
                        "recheck": {
                            "tiers": [
                                {"younger_than": "1d", "every": "1h"},
                                {"younger_than": "3h", "every": "2h"},
                            ]
                        },
                    }
                ]
            ),
            "sites[0].recheck: tiers[1]: younger_than must grow",
        ),
        (
            config(
                [
                    {
                        "name": "a",
                        "feeds": ["https://e.com/f"],
                        "recheck": {"tiers": [{"younger_than": "1d"}]},
                    }
                ]
            ),
            "sites[0].recheck.tiers[0].every: missing",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "recheck": {"max_age": "0s"}}]),
            "sites[0].recheck.max_age: must be longer than zero",
        ),
        (
            config(
                [{"name": "a", "feeds": ["https://e.com/f"], "extract": {"body_selector": " "}}]
            ),
            "sites[0].extract.body_selector: expected a non-empty CSS selector",
        ),
        (
            config(
                [
                    {
                        "name": "a",
                        "feeds": ["https://e.com/f"],
                        "extract": {"discard_selectors": [".ok", "div["]},
                    }
                ]
            ),
            "sites[0].extract.discard_selectors[1]: invalid CSS selector 'div['",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "max_sitemap_urls": 0}]),
            "sites[0].max_sitemap_urls: must be at least 1",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "max_feed_entries": "many"}]),
            "sites[0].max_feed_entries: expected an integer, got 'many'",
        ),
        (
            config([{"name": "a", "feeds": ["https://e.com/f"], "use_robots_sitemaps": "yes"}]),
            "sites[0].use_robots_sitemaps: expected true or false",
        ),
    ],
)
def test_invalid_values_are_named(data: dict[str, Any], expected: str) -> None:
    message = error_of(data)
    assert message.startswith("config.toml: ")
    assert expected in message


def test_toml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[crawl]\nuser_agent = "x (+https://e.org)"\nretries = = 3\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid TOML")
    assert "line 3" in message and "column" in message


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "no such file" in message
    assert "config.toml" in message and "[[sites]]" in message
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[archive]\ndb = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_config_site_lookup() -> None:
    cfg = parse_config(config())
    assert cfg.site("one").name == "one"
    with pytest.raises(ConfigError, match=r"no site named 'two' \(sites: one\)"):
        cfg.site("two")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("3h", timedelta(hours=3)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        (" 1.5h ", timedelta(minutes=90)),
        ("250ms", timedelta(milliseconds=250)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("garbage", ["", "15", "m", "15 minutes", "-5m", "3x", "1h-", 15, None])
def test_parse_duration_garbage(garbage: Any) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(garbage)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4096, 4096),
        ("10MiB", 10 * 1024 * 1024),
        ("512 KiB", 512 * 1024),
        ("1GB", 1_000_000_000),
        ("100kb", 100_000),
        ("2048", 2048),
        ("1.5MiB", 1_572_864),
    ],
)
def test_parse_size(value: int | str, expected: int) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize("garbage", ["ten", "10 parsecs", "", True, 1.5, None])
def test_parse_size_garbage(garbage: Any) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(garbage)


def test_values_are_frozen_and_sites_compare_by_value() -> None:
    cfg = parse_config(config())
    with pytest.raises(AttributeError):
        cfg.db_path = Path("x")  # type: ignore[misc]
    assert cfg.sites[0] == Site(name="one", feeds=("https://e.com/feed",))
    assert isinstance(cfg, Config)


def test_shipped_config_documents_every_crawl_setting() -> None:
    data = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    assert set(data) == {"archive", "crawl", "sites"}
    assert set(data["crawl"]) == set(CrawlSettings.__dataclass_fields__)
