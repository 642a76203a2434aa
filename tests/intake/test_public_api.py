"""Each pipeline room's ``__init__`` exports its public names, and every exported name exists."""

import importlib

import pytest


@pytest.mark.parametrize("room", ["intake", "decide", "cases", "evidence"])
def test_room_exports_are_complete(room):
    module = importlib.import_module(f"firstlight.{room}")
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert hasattr(module, name), f"firstlight.{room} lacks {name}"
    public = {n for n, v in vars(module).items() if not n.startswith("_")
              and getattr(v, "__module__", "").startswith(f"firstlight.{room}")}
    assert public <= set(module.__all__)
