"""The core promise, end to end through the CLI, a real local server and a real SQLite file.

A rotating "Latest news" / "Must read" block and new comments never create a version; a
one-word correction in the article does, and diff, search and Datasette all show it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.store import Archive
from scraper.cli import cli

ARTICLE_PATH = "/en/blog/the-meks-role-in-the-iran-iraq-war/"
BODY_SENTENCE = "<p>Many Iranians, including MEK members living in Iran, rushed to the battlefronts"
EDITED_SENTENCE = (
    "<p>Many Iranians, including MEK members living in Iran, hurried to the battlefronts"
)


def write_config(tmp_path, server, db_path) -> str:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
db = "{db_path}"

[crawl]
user_agent = "newsarchive-test/0.1 (+https://example.org/contact)"
per_host_delay = 0
total_timeout = 10
retries = 0
allow_hosts = ["{server.host_port}"]

[[sites]]
name = "seed"
listing_pages = ["{server.base}/en/"]
include = ['/en/blog/']
""",
        encoding="utf-8",
    )
    return str(config)


def rotate_boilerplate(html: str) -> str:
    """What the live site does between two requests: new teasers, new comments."""
    html = html.replace(
        "Fabricated Statistics in Iran&#8217;s Economy", "Tehran Bazaar Strike Enters Third Day"
    )
    html = html.replace("EU Sanctions on Iran Are Not Enough", "Parliament Debates New Budget Cuts")
    new_comment = (
        '<div class="comment-content">\n<p>A brand new comment that appeared overnight.</p>\n'
        "</div>\n"
    )
    return html.replace(
        '<div class="comment-content">', new_comment + '<div class="comment-content">', 1
    )


@pytest.fixture
def seed_html(seed_dir) -> str:
    return (seed_dir / "page.html").read_text(encoding="utf-8")


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_boilerplate_churn_is_one_version_and_a_word_is_two(tmp_path, page_server, seed_html):
    db = tmp_path / "archive.db"
    config = write_config(tmp_path, page_server, db)
    url = page_server.html(ARTICLE_PATH, seed_html)

    out = run("archive", url, "--config", config)
    assert "new-version" in out and "(version 1)" in out

    rotated = rotate_boilerplate(seed_html)
    assert rotated != seed_html
    page_server.html(ARTICLE_PATH, rotated)
    out = run("archive", url, "--config", config)
    assert out.startswith("unchanged")

    with Archive(db) as archive:
        article = archive.article(url)
        assert (article["version_count"], article["capture_count"]) == (1, 2)
        assert archive.counts()["raw_pages"] == 2  # both pages kept for re-extraction

    assert seed_html.count(BODY_SENTENCE) == 1
    page_server.html(
        ARTICLE_PATH, rotate_boilerplate(seed_html.replace(BODY_SENTENCE, EDITED_SENTENCE))
    )
    out = run("archive", url, "--config", config)
    assert "(version 2)" in out

    with Archive(db) as archive:
        article = archive.article(url)
        assert (article["version_count"], article["capture_count"]) == (2, 3)
        v2 = archive.version(article["id"], 2)
        assert v2["change_kind"] == "wording"  # rushed -> hurried
        assert (v2["words_added"], v2["words_removed"]) == (1, 1)

    # The diff shows exactly that word.
    diff_json = json.loads(run("diff", url, "--format", "json", "--config", config))
    changed = [op for op in diff_json["ops"] if op["op"] != "equal"]
    assert [(op["old_text"].strip(), op["new_text"].strip()) for op in changed] == [
        ("rushed", "hurried")
    ]
    assert diff_json["title_changed"] is False
    inline = run("diff", url, "--no-color", "--config", config)
    assert "[-rushed-]" in inline and "{+hurried+}" in inline
    assert "Latest news" not in inline

    # Search finds the new word in version 2 only.
    out = run("search", "hurried", "--config", config)
    assert ARTICLE_PATH in out and "v2" in out
    assert "no match" in run("search", "Tehran Bazaar", "--config", config)

    history = run("history", url, "--config", config)
    assert v2["change_kind"] in history and "3 captures, 2 versions" in history


def test_datasette_search_finds_the_text(tmp_path, page_server, seed_html):
    import asyncio

    from archive.datasette.serve import make_datasette

    db = tmp_path / "archive.db"
    config = write_config(tmp_path, page_server, db)
    url = page_server.html(ARTICLE_PATH, seed_html)
    run("archive", url, "--config", config)

    async def query(path: str):
        response = await make_datasette(db).client.get(path)
        assert response.status_code == 200
        return response.json()

    rows = asyncio.run(query("/archive/versions.json?_search=battlefronts&_shape=array"))
    assert len(rows) == 1
    assert "rushed to the battlefronts" in rows[0]["text"]
    # A teaser headline is not archived text.
    assert asyncio.run(query("/archive/versions.json?_search=Sanctions&_shape=array")) == []
