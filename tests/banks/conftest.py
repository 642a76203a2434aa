"""Fixtures of the banks tests."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from bankhelpers import make_image


@pytest.fixture
def rnd() -> random.Random:
    return random.Random(20261125)


@pytest.fixture
def image() -> Callable[..., bytes]:
    return make_image
