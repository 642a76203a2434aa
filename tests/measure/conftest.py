"""Fixtures for the measure room: the validation data in ``../shared/data/measurement``.

Tests that need it skip cleanly when ``../shared`` is absent (a fresh clone without the steering repo).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


@pytest.fixture
def measurement_dir(shared_dir: Path) -> Path:
    """``../shared/data/measurement`` (``shared_dir`` skips the test when ``../shared`` is absent)."""
    path = shared_dir / "data" / "measurement"
    if not path.is_dir():
        pytest.skip("../shared/data/measurement is absent")
    return path


@pytest.fixture
def load_rows(measurement_dir: Path):
    """``load_rows("mse/UKdat.csv")``: the rows of a validation CSV as dicts."""

    def load(relative: str) -> list[dict[str, str]]:
        with (measurement_dir / relative).open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    return load
