"""Tests of the measure room (a package, so module names like test_api do not clash across rooms)."""
