import pytest

from firstlight.intake import handler


@pytest.fixture
def pipeline_settings(settings):
    """The upload handler uses these settings for the test, then the process settings again."""
    handler.configure(settings)
    yield settings
    handler.configure(None)
