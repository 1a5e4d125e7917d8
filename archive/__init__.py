"""newsarchive's archive: storage, versions, diffs, search and the Datasette integration.

This package never imports :mod:`scraper`: it stores and reads plain values.

May import: nothing (the package's modules are imported by name).
"""
