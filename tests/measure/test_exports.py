"""The measure room's public surface: ``__all__`` lists exactly the public names, sorted."""

from __future__ import annotations

import importlib

import pytest

import firstlight.measure as measure

MODULES = ["bootstrap", "impact", "mse", "nsum", "prevalence", "proportion", "rcapture", "service", "survey"]


def test_package_exports_are_complete_and_sorted() -> None:
    assert measure.__all__ == sorted(measure.__all__)
    for name in measure.__all__:
        assert hasattr(measure, name), name


@pytest.mark.parametrize("module", MODULES)
def test_module_all_names_exist(module: str) -> None:
    mod = importlib.import_module(f"firstlight.measure.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_the_room_is_mounted_in_the_cli_and_the_api() -> None:
    from firstlight.api.app import ROUTERS
    from firstlight.cli import COMMAND_GROUPS

    assert ("firstlight.measure.cli", "measure") in COMMAND_GROUPS
    assert "firstlight.api.routes.measure" in ROUTERS
