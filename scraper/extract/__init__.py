"""Main-content extraction: the article text and metadata of a news page (pure).

The package's public face; the steps live in their own modules:

- :mod:`~scraper.extract.pipeline`: bounds, decoding, parsing and the fallback chain
- :mod:`~scraper.extract.container`: cleaning the tree and choosing the article container
- :mod:`~scraper.extract.text`: boilerplate pruning inside the container, paragraphs, HTML/Markdown
- :mod:`~scraper.extract.rules`: the rules as data (selectors and word lists, no site names)
- :mod:`~scraper.extract.state`: the article from a script-rendered page's JSON state
- :mod:`~scraper.extract.live`: live blogs, the stream of timed posts that is the article
- :mod:`~scraper.extract.metadata`: title, authors, dates, canonical URL and the rest

May import: :mod:`scraper.config`, :mod:`scraper.charset`, and its own modules.
"""

from scraper.config import ExtractRules
from scraper.extract.live import LivePost
from scraper.extract.pipeline import (
    EXTRACTOR_VERSION,
    MAX_INPUT_CHARS,
    Article,
    ExtractionError,
    explain,
    extract,
)

__all__ = [
    "EXTRACTOR_VERSION",
    "MAX_INPUT_CHARS",
    "Article",
    "ExtractRules",
    "ExtractionError",
    "LivePost",
    "explain",
    "extract",
]
