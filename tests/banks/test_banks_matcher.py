"""Matching against banks: thresholds, kinds, allow suppression, and keeping the index in step."""

from __future__ import annotations

import json
import random

import pytest
from bankhelpers import flip, rand_pdq
from sqlalchemy import insert, select

from firstlight import banks
from firstlight.banks.matcher import MASS_REMOVAL, Matcher, get_matcher, signals_from_pairs
from firstlight.banks.models import BankChange
from firstlight.errors import Invalid
from firstlight.signals import Signal
from firstlight.store import Database

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def lookup(db: Database, *pairs: tuple[str, str]) -> banks.MatchReport:
    with db.session() as s:
        return banks.match_signals(s, signals_from_pairs(pairs))


def test_match_names_bank_entry_distance_and_threshold(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block", thresholds={"pdq": 20})
        e = banks.add_to_bank(s, "csam", [("pdq", h), ("md5", MD5)], category_ncmec="A1", source="ncmec")
    report = lookup(db, ("pdq", flip(h, 7)), ("md5", MD5.upper()))
    assert {(m.signal_type, m.distance, m.threshold) for m in report.matches} == {
        ("pdq", 7, 20),
        ("md5", 0, 0),
    }
    m = report.blocking[0]
    assert (m.bank_name, m.bank_kind, m.entry_id, m.category, m.source) == (
        "csam",
        "block",
        e.id,
        "A1",
        "ncmec",
    )
    assert m.matched_signal in (h, MD5)
    explained = report.explain()
    assert explained["verdict"].startswith("block:") and explained["blocking"] == 2
    json.dumps(explained)


def test_per_bank_threshold_decides(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "strict", "block", thresholds={"pdq": 5})
        banks.create_bank(s, "loose", "block")
        banks.add_to_bank(s, "strict", ("pdq", h))
        banks.add_to_bank(s, "loose", ("pdq", h))
    assert {m.bank_name for m in lookup(db, ("pdq", flip(h, 5))).matches} == {"strict", "loose"}
    assert {m.bank_name for m in lookup(db, ("pdq", flip(h, 6))).matches} == {"loose"}
    assert lookup(db, ("pdq", flip(h, 31))).matched
    assert not lookup(db, ("pdq", flip(h, 32))).matched


def test_exact_recall_when_differences_are_concentrated(db: Database, rnd: random.Random) -> None:
    """31 differing bits packed into one region still match (the index is exact at 31)."""
    hashes = [rand_pdq(rnd) for _ in range(200)]
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.import_into_bank(s, "csam", [f"pdq {h}" for h in hashes], "local")
    for start in (0, 100, 225):
        report = lookup(db, ("pdq", flip(hashes[17], 31, start=start)))
        assert [m.distance for m in report.matches] == [31]


def test_allow_match_suppresses_block_and_says_so(db: Database, rnd: random.Random) -> None:
    blocked = rand_pdq(rnd)
    benign = flip(blocked, 25)  # a benign image that collided with a banked hash
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.create_bank(s, "fp", "allow")
        b = banks.add_to_bank(s, "csam", ("pdq", blocked))
    assert lookup(db, ("pdq", benign)).blocking  # before review: blocks
    with db.begin() as s:
        fp = banks.add_to_bank(s, "fp", ("pdq", benign), source="case:17", note="reviewer: not CSAM")
    report = lookup(db, ("pdq", benign))
    assert report.blocking == []
    (suppressed,) = report.suppressed
    assert suppressed.entry_id == b.id and suppressed.suppressed_by.entry_id == fp.id
    assert "suppressed by allow entry" in report.explain()["verdict"]
    # Material much closer to the banked hash than to the allowed one is still blocked.
    closer = flip(blocked, 3, start=200)
    assert [m.entry_id for m in lookup(db, ("pdq", closer)).blocking] == [b.id]


def test_exact_allow_match_suppresses_perceptual_block_match(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.create_bank(s, "fp", "allow")
        banks.add_to_bank(s, "csam", ("pdq", h))
        banks.add_to_bank(s, "fp", ("md5", MD5))
    report = lookup(db, ("pdq", flip(h, 2)), ("md5", MD5))
    assert report.blocking == [] and len(report.suppressed) == 1


def test_survivor_banks_match_but_never_block(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "survivors", "survivor")
        banks.add_to_bank(s, "survivors", ("pdq", h))
    report = lookup(db, ("pdq", h))
    assert [m.bank_kind for m in report.matches] == ["survivor"] and report.blocking == []


def test_disable_stops_matching_at_once_and_enable_restores(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        e = banks.add_to_bank(s, "csam", [("pdq", h), ("md5", MD5)])
    assert len(lookup(db, ("pdq", h), ("md5", MD5)).matches) == 2
    with db.begin() as s:
        banks.set_entry_enabled(s, e.id, False, reason="false positive")
    assert not lookup(db, ("pdq", h), ("md5", MD5)).matched
    with db.begin() as s:
        banks.set_entry_enabled(s, e.id, True)
    assert len(lookup(db, ("pdq", h), ("md5", MD5)).matches) == 2
    assert get_matcher(db).stats()["pdq"] == 1  # revived, not added twice


def test_rolled_back_add_never_matches(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
    lookup(db, ("md5", MD5))  # load the matcher
    with db.session() as s:
        banks.add_to_bank(s, "csam", ("pdq", h))
        s.rollback()
    assert not lookup(db, ("pdq", h)).matched


def test_disabled_bank_does_not_match(db: Database) -> None:
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.add_to_bank(s, "csam", ("md5", MD5))
        banks.update_bank(s, "csam", enabled=False)
    assert not lookup(db, ("md5", MD5)).matched


def test_md5_family_matches_across_photo_and_video_names(db: Database) -> None:
    with db.begin() as s:
        banks.create_bank(s, "ncmec", "block")
        banks.add_to_bank(s, "ncmec", ("video_md5", MD5))
    (m,) = lookup(db, ("md5", MD5)).matches
    assert m.signal_type == "video_md5"


def test_low_quality_pdq_is_not_matched_and_noted(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.add_to_bank(s, "csam", ("pdq", h))
    with db.session() as s:
        report = banks.match_signals(s, [Signal("pdq", h, 20)])
    assert not report.matched and "quality 20" in report.notes[0]


def test_invalid_query_signal_is_invalid(db: Database) -> None:
    with pytest.raises(Invalid):
        lookup(db, ("pdq", "xyz"))


def test_match_bytes_finds_rotated_copy_with_dihedral(db: Database, image) -> None:
    from io import BytesIO

    from PIL import Image

    data = image(7)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.add_media_to_bank(s, "csam", data)
    buf = BytesIO()
    Image.open(BytesIO(data)).rotate(90, expand=True).save(buf, "PNG")
    with db.session() as s:
        assert not banks.match_bytes(s, buf.getvalue()).blocking
        report = banks.match_bytes(s, buf.getvalue(), dihedral=True)
    (m,) = report.blocking
    assert m.signal_type == "pdq" and m.detail and m.detail.get("dihedral")


def test_vpdq_entries_match_by_pytx_rule(db: Database, rnd: random.Random) -> None:
    from firstlight.signals import VPDQFrame, vpdq_to_signal_str

    frames = [VPDQFrame(rand_pdq(rnd), 100, float(i)) for i in range(10)]
    other = [VPDQFrame(rand_pdq(rnd), 100, float(i)) for i in range(10)]
    with db.begin() as s:
        banks.create_bank(s, "videos", "block")
        e = banks.add_to_bank(s, "videos", ("vpdq", vpdq_to_signal_str(frames)))
    near = [VPDQFrame(flip(f.pdq_hex, 4), 100, f.timestamp) for f in frames]
    (m,) = lookup(db, ("vpdq", vpdq_to_signal_str(near))).matches
    assert m.entry_id == e.id and m.distance == 0 and m.detail["query_match_percent"] == 100.0
    half = near[:5] + other[:5]
    assert not lookup(db, ("vpdq", vpdq_to_signal_str(half))).matched


# --- staying in step across processes ----------------------------------------------------------------------


def other_process(db: Database) -> Database:
    """A second engine on the same database: a different matcher, as in another process."""
    return Database(db.url, schema=db.schema)


def test_changes_reach_another_process_through_the_log(db: Database, rnd: random.Random) -> None:
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
    other = other_process(db)
    try:
        remote = get_matcher(other)
        remote.poll_seconds = 0
        assert not lookup(other, ("pdq", h)).matched
        with db.begin() as s:
            e = banks.add_to_bank(s, "csam", ("pdq", h))
        assert lookup(other, ("pdq", h)).matched
        with db.begin() as s:
            banks.set_entry_enabled(s, e.id, False)
        assert remote.sync(force=True) >= 0
        assert remote.stats()["pdq"] == 0
        assert not lookup(other, ("pdq", h)).matched
    finally:
        other.dispose()


def test_a_change_id_committed_late_is_not_skipped(db: Database, rnd: random.Random) -> None:
    """On PostgreSQL a transaction can commit after a later one: the missing id is read again."""
    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
    other = other_process(db)
    try:
        remote = get_matcher(other)
        remote.ensure_loaded()
        with db.begin() as s:
            top = s.execute(select(BankChange.id).order_by(BankChange.id.desc())).scalars().first()
            # a later change is visible while id top+1 is still "in flight"
            s.execute(insert(BankChange), [{"id": top + 2, "op": "bank", "bank_id": None, "at": _now()}])
        remote.sync(force=True)
        assert top + 1 in remote._gaps
        with db.begin() as s:
            e = banks.add_to_bank(s, "csam", ("pdq", h))
            s.execute(BankChange.__table__.update().where(BankChange.op == "add").values(id=top + 1))
        remote.sync(force=True)
        assert remote.stats()["pdq"] == 1 and top + 1 not in remote._gaps
        assert [m.entry_id for m in lookup(other, ("pdq", h)).matches] == [e.id]
    finally:
        other.dispose()


def _now():
    from firstlight.store import utcnow

    return utcnow()


def test_snapshot_loads_fast_and_catches_up_with_the_log(db: Database, rnd: random.Random, tmp_path) -> None:
    hashes = [rand_pdq(rnd) for _ in range(300)]
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.import_into_bank(s, "csam", [f"pdq {h}" for h in hashes], "local")
    get_matcher(db).save(tmp_path / "indexes")
    late = rand_pdq(rnd)
    with db.begin() as s:
        banks.add_to_bank(s, "csam", ("pdq", late))
        gone = banks.list_entries(s, "csam", limit=1)[0]
        banks.set_entry_enabled(s, gone.id, False)
    other = other_process(db)
    try:
        fresh = Matcher(other.engine, index_dir=tmp_path / "indexes")
        fresh.ensure_loaded()
        assert fresh.loaded_from and "snapshot-" in fresh.loaded_from
        assert fresh.stats()["pdq"] == 300  # 300 saved, +1 added, -1 disabled since
        assert {c.entry_id for c in fresh.candidates(signals_from_pairs([("pdq", late)]), pdq_threshold=0)}
        assert not fresh.candidates(signals_from_pairs([("pdq", hashes[0])]), pdq_threshold=0)
    finally:
        other.dispose()


def test_snapshot_of_another_database_is_ignored(db: Database, tmp_path, rnd: random.Random) -> None:
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.add_to_bank(s, "csam", ("pdq", rand_pdq(rnd)))
    get_matcher(db).save(tmp_path / "idx")
    state = next((tmp_path / "idx").glob("snapshot-*/state.json"))
    data = json.loads(state.read_text())
    state.write_text(json.dumps({**data, "epoch": "someone-else"}))
    other = other_process(db)
    try:
        fresh = Matcher(other.engine, index_dir=tmp_path / "idx")
        fresh.ensure_loaded()
        assert fresh.loaded_from == "database" and fresh.stats()["pdq"] == 1
    finally:
        other.dispose()


def test_deleting_a_large_bank_rebuilds_instead_of_disabling_one_by_one(
    db: Database, rnd: random.Random
) -> None:
    with db.begin() as s:
        banks.create_bank(s, "big", "block")
        banks.create_bank(s, "keep", "block")
        banks.import_into_bank(s, "big", [f"pdq {rand_pdq(rnd)}" for _ in range(MASS_REMOVAL + 10)], "local")
        banks.add_to_bank(s, "keep", ("md5", MD5))
    other = other_process(db)
    try:
        remote = get_matcher(other)
        remote.ensure_loaded()
        assert remote.stats()["pdq"] == MASS_REMOVAL + 10
        with db.begin() as s:
            banks.delete_bank(s, "big")
        remote.sync(force=True)
        assert remote.stats()["pdq"] == 0 and remote.stats()["md5"] == 1
        assert lookup(other, ("md5", MD5)).matched
    finally:
        other.dispose()


def test_lookups_do_not_wait_for_a_poll_or_rebuild_in_another_thread(
    db: Database, rnd: random.Random
) -> None:
    import threading

    h = rand_pdq(rnd)
    with db.begin() as s:
        banks.create_bank(s, "csam", "block")
        banks.add_to_bank(s, "csam", ("pdq", h))
    matcher = get_matcher(db)
    matcher.ensure_loaded()
    matcher.poll_seconds = 0
    holding, release = threading.Event(), threading.Event()

    def busy() -> None:
        with matcher._lock:  # as a long rebuild would
            holding.set()
            release.wait(10)

    t = threading.Thread(target=busy)
    t.start()
    try:
        assert holding.wait(5)
        report = lookup(db, ("pdq", h))  # answers from the current index, at once
        assert report.matched
    finally:
        release.set()
        t.join()
