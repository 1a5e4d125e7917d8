"""``python -m scraper.cli``."""

from scraper.cli.main import main

main()
