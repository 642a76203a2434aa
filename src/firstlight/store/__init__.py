"""Storage: the engine, the declarative base and the migrations. Each room keeps its own models."""

from firstlight.store.db import Base, Database, UTCDateTime, normalise_url, utcnow
from firstlight.store.migrate import is_current, upgrade

__all__ = ["Base", "Database", "UTCDateTime", "is_current", "normalise_url", "upgrade", "utcnow"]
