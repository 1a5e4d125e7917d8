"""Shared fixtures.

Data under ``../shared`` (the seed page, the extraction benchmark) is read by a path relative to
the repository root. A user's clone has no ``../shared``: tests that need it skip with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_DIR = SHARED / "fixtures" / "seed-page"
BENCH_DIR = SHARED / "bench" / "extraction" / "scrapinghub"


def need_shared(path: Path) -> Path:
    """Return *path*, or skip the test when ``../shared`` is not beside this checkout."""
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared is only beside the repository in CI and dev")
    return path


@pytest.fixture
def seed_dir() -> Path:
    return need_shared(SEED_DIR)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"
