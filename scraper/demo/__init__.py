"""The bundled demo news site (its corpus beside it) and the ``newsarchive demo`` flow.

May import: everything below the CLI (:mod:`scraper.crawl` and what it imports, :mod:`archive`).
"""
