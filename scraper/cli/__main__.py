"""``python -m scraper.cli``."""

from scraper.cli import main

main()
