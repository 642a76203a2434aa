"""Reports: the duty to report confirmed CSEA to the NCA (UK) and NCMEC (US), delivered exactly once.

Public interface (other rooms call these):

- ``open_report_task(session, *, case_id, priority, reason, detected_by=None) -> ReportTask`` — idempotent
  per case; a higher priority raises the open task's priority and pulls its deadline in.
- ``list_report_tasks(session, ...)``, ``overdue(session, now)``, ``get_report_task(session, id)``.
- ``build_report(session, case_id, reference=...)`` → ``Report`` (the destination-neutral model);
  ``queue_submissions`` / ``deliver_due`` / ``record_nca_reference`` / ``render_task`` / ``task_status``
  are the services behind ``firstlight report`` and ``/v1/reports``. See ``docs/reports.md``.
"""

from firstlight.reports.build import build_report
from firstlight.reports.models import ReportTask, RetentionEntry, Submission, SubmissionFile
from firstlight.reports.report import Report
from firstlight.reports.routing import RoutingConfig
from firstlight.reports.service import (
    deliver_due,
    queue_submissions,
    record_nca_reference,
    render_task,
    task_status,
)
from firstlight.reports.tasks import (
    DEFAULT_DEADLINES,
    PRIORITIES,
    close_report_task,
    deadline_for,
    get_report_task,
    list_report_tasks,
    open_report_task,
    overdue,
)

__all__ = [
    "DEFAULT_DEADLINES",
    "PRIORITIES",
    "Report",
    "ReportTask",
    "RetentionEntry",
    "RoutingConfig",
    "Submission",
    "SubmissionFile",
    "build_report",
    "close_report_task",
    "deadline_for",
    "deliver_due",
    "get_report_task",
    "list_report_tasks",
    "open_report_task",
    "overdue",
    "queue_submissions",
    "record_nca_reference",
    "render_task",
    "task_status",
]
