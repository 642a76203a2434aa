"""Imports every room's models so that ``Base.metadata`` is complete (for Alembic and schema checks).

Rooms add one import line here for their ``models`` module.
"""

from firstlight.audit import models as audit_models  # noqa: F401
from firstlight.auth import models as auth_models  # noqa: F401
from firstlight.banks import models as banks_models  # noqa: F401
from firstlight.cases import models as cases_models  # noqa: F401
from firstlight.compliance import models as compliance_models  # noqa: F401
from firstlight.decide import models as decide_models  # noqa: F401
from firstlight.detect import models as detect_models  # noqa: F401
from firstlight.events import models as events_models  # noqa: F401
from firstlight.evidence import models as evidence_models  # noqa: F401
from firstlight.intake import models as intake_models  # noqa: F401
from firstlight.reports import models as reports_models  # noqa: F401
from firstlight.store.db import Base
from firstlight.streams import models as streams_models  # noqa: F401
from firstlight.web import models as web_models  # noqa: F401

metadata = Base.metadata

__all__ = ["metadata"]
