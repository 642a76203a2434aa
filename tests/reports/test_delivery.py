"""The delivery outbox: a report reaches NCMEC exactly once, whatever step the process dies at."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from firstlight.config import Settings
from firstlight.reports import open_report_task
from firstlight.reports.models import RetentionEntry, Submission
from firstlight.reports.ncmec_client import NcmecClient
from firstlight.reports.outbox import CRASH_ENV, CRASH_POINTS
from firstlight.reports.report import Report
from firstlight.reports.routing import RoutingConfig
from firstlight.reports.service import deliver_due, queue_submissions, task_status
from firstlight.reports.testing import NcmecServer
from firstlight.store import Database

US = RoutingConfig(jurisdictions=("US",))
FILES = [b"first benign stand-in file\n", b"second benign stand-in file\n"]
SRC = Path(__file__).resolve().parents[2] / "src"


def _queue(db: Database, report_factory: Callable[..., Report], case_id: int, files: Path,
           config: RoutingConfig = US) -> tuple[int, Report]:
    """Open a task for a case and queue a two-file report; the bytes go in ``files``."""
    base = report_factory(f"firstlight-case-{case_id}", FILES[0])
    second = base.files[0].model_copy(update={
        "evidence_id": f"ev-{case_id}-2", "sha256": hashlib.sha256(FILES[1]).hexdigest(),
        "md5": hashlib.md5(FILES[1]).hexdigest(), "sha1": hashlib.sha1(FILES[1]).hexdigest()})
    first = base.files[0].model_copy(update={"evidence_id": f"ev-{case_id}-1"})
    report = base.model_copy(update={"case_id": case_id, "files": (first, second)})
    files.mkdir(exist_ok=True)
    (files / first.evidence_id).write_bytes(FILES[0])
    (files / second.evidence_id).write_bytes(FILES[1])
    with db.begin() as session:
        task = open_report_task(session, case_id=case_id, priority="P2", reason="confirmed")
        queue_submissions(session, task.id, actor="test", report=report, config=config)
        return task.id, report


def _reader(files: Path):
    return lambda session, file, reason: (files / file.evidence_id).read_bytes()


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, report_delivery_lease_s=0, report_retry_base_s=0)


def _finished_for(server: NcmecServer, reference: str):
    return [r for r in server.finished_reports() if reference.encode() in r.xml]


def test_report_is_delivered_once_with_files_details_and_retention(
    db: Database, ncmec_server: NcmecServer, report_factory, tmp_path: Path
) -> None:
    task_id, report = _queue(db, report_factory, 7, tmp_path / "files")
    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as client:
        (result,) = deliver_due(db, settings=_settings(tmp_path), client=client,
                                files=_reader(tmp_path / "files"))
        assert result.state == "finished"
        assert deliver_due(db, settings=_settings(tmp_path), client=client) == []  # nothing due

    (finished,) = _finished_for(ncmec_server, report.reference)
    assert [f.md5 for f in finished.files] == [f.md5 for f in report.files]
    assert all(f.details is not None for f in finished.files)
    with db.session() as session:
        status = task_status(session, task_id)
        assert status["status"] == "delivered"
        assert status["submissions"][0]["remote_id"] == str(finished.report_id)
        kinds = {e.kind for e in session.scalars(select(RetentionEntry))}
        assert kinds == {"content", "submitted_information", "associated_data"}
        content = session.scalars(select(RetentionEntry).where(RetentionEntry.kind == "content")).all()
        assert all((e.keep_until - e.starts_at).days == 365 for e in content)


def test_transient_server_error_is_retried_not_failed(
    db: Database, ncmec_server: NcmecServer, report_factory, tmp_path: Path
) -> None:
    _queue(db, report_factory, 8, tmp_path / "files")
    ncmec_server.fail_next("/upload")
    settings = _settings(tmp_path)
    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as client:
        (first,) = deliver_due(db, settings=settings, client=client, files=_reader(tmp_path / "files"))
        assert first.state == "opened" and "1000" in first.detail
        (second,) = deliver_due(db, settings=settings, client=client, files=_reader(tmp_path / "files"))
    assert second.state == "finished"
    assert len(ncmec_server.finished_reports()) == 1


def test_expired_report_is_resubmitted(
    db: Database, ncmec_server: NcmecServer, report_factory, tmp_path: Path
) -> None:
    _, report = _queue(db, report_factory, 9, tmp_path / "files")
    ncmec_server.fail_next("/upload", times=1)
    settings = _settings(tmp_path)
    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as client:
        deliver_due(db, settings=settings, client=client, files=_reader(tmp_path / "files"))
        ncmec_server.advance(25 * 3600)  # the opened report is deleted by NCMEC meanwhile
        (result,) = deliver_due(db, settings=settings, client=client,
                                files=_reader(tmp_path / "files"))
    assert result.state == "finished"
    assert len(_finished_for(ncmec_server, report.reference)) == 1
    assert sum(r.status == "expired" for r in ncmec_server.reports.values()) == 1


def test_invalid_report_is_parked_as_failed_and_visible(
    db: Database, ncmec_server: NcmecServer, report_factory, tmp_path: Path
) -> None:
    task_id, _ = _queue(db, report_factory, 10, tmp_path / "files")
    with NcmecClient(ncmec_server.base_url, "esp-user", "wrong") as client:
        (result,) = deliver_due(db, settings=_settings(tmp_path), client=client,
                                files=_reader(tmp_path / "files"))
    assert result.state == "failed" and "2000" in result.detail
    with db.session() as session:
        assert task_status(session, task_id)["submissions"][0]["last_error"]


_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from firstlight.config import Settings
    from firstlight.reports.ncmec_client import NcmecClient
    from firstlight.reports.service import deliver_due
    from firstlight.store import Database

    url, base, files = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    client = NcmecClient(base, "esp-user", "esp-pass")
    deliver_due(Database(url), settings=Settings(data_dir=files, report_delivery_lease_s=0),
                client=client, files=lambda s, f, r: (files / f.evidence_id).read_bytes())
    print("no crash")
""")


@pytest.mark.parametrize("crash_after", CRASH_POINTS)
def test_killed_at_any_step_leaves_exactly_one_finished_report(
    crash_after: str, sqlite_db: Database, ncmec_server: NcmecServer, report_factory,
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    task_id, report = _queue(sqlite_db, report_factory, 100, files)
    env = {**os.environ, CRASH_ENV: crash_after,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, sqlite_db.url, ncmec_server.base_url, str(files)],
        env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 137, child.stdout + child.stderr  # it died at that step

    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as client:  # the restart
        results = deliver_due(sqlite_db, settings=_settings(tmp_path), client=client,
                              files=_reader(files))
    assert all(r.state == "finished" for r in results), results
    assert len(results) == (0 if crash_after == "finish_stored" else 1)  # nothing left to do
    finished = _finished_for(ncmec_server, report.reference)
    assert len(finished) == 1
    assert [f.md5 for f in finished[0].files] == [f.md5 for f in report.files]
    assert all(f.details is not None for f in finished[0].files)
    with sqlite_db.session() as session:
        sub = session.scalars(select(Submission).where(Submission.task_id == task_id)).one()
        assert sub.state == "finished"
        assert sub.remote_id == str(finished[0].report_id)
    if crash_after in ("upload_call", "fileinfo_call"):
        assert sub.retractions == 1  # the interrupted report was retracted, not finished
        assert sum(r.status == "retracted" for r in ncmec_server.reports.values()) == 1


def test_uk_and_us_service_reports_to_ncmec_and_nca_is_then_not_required(
    db: Database, ncmec_server: NcmecServer, report_factory, tmp_path: Path
) -> None:
    both = RoutingConfig(jurisdictions=("UK", "US"))
    task_id, _ = _queue(db, report_factory, 11, tmp_path / "files", config=both)
    with NcmecClient(ncmec_server.base_url, "esp-user", "esp-pass") as client:
        deliver_due(db, settings=_settings(tmp_path), client=client, files=_reader(tmp_path / "files"))
    with db.session() as session:
        status = task_status(session, task_id)
    states = {s["destination"]: s["state"] for s in status["submissions"]}
    assert states == {"ncmec": "finished", "nca": "not_required"}
    assert status["status"] == "delivered"

    # the same content confirmed again in another case: already reported to NCMEC, so not to the NCA
    again, _ = _queue(db, report_factory, 12, tmp_path / "files2", config=RoutingConfig(("UK",)))
    with db.session() as session:
        (nca,) = task_status(session, again)["submissions"]
    assert nca["state"] == "not_required" and "s.70(5)" in nca["note"]
