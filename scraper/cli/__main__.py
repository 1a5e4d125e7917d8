"""``python -m scraper.cli``.

May import: :mod:`scraper.cli`.
"""

from scraper.cli import main

main()
