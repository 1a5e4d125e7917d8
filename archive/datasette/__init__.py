"""The Datasette plugin: metadata, canned queries, history, diff and search pages.

May import: the rest of :mod:`archive`, Datasette; never :mod:`scraper`.
"""
