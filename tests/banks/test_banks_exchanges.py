"""Exchanges through pytx's SignalExchangeAPI: the local-file exchange, and NCMEC against a local server
speaking its XML v2 API (pytx's own NCMEC client code runs unchanged)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from bankhelpers import rand_pdq
from fake_ncmec import FakeEntry, FakeNCMEC

from firstlight import banks
from firstlight.banks import exchanges
from firstlight.errors import Conflict, Invalid, Unavailable
from firstlight.store import Database

BASE_TS = 1_700_000_000


def lookup(db: Database, *pairs: tuple[str, str]) -> banks.MatchReport:
    with db.session() as s:
        return banks.match_signals(s, banks.signals_from_pairs(pairs))


# --- local file -------------------------------------------------------------------------------------------


def test_local_file_exchange_fills_its_bank(db: Database, tmp_path: Path, rnd: random.Random) -> None:
    hashes = [rand_pdq(rnd) for _ in range(5)]
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {h}\n" for h in hashes) + "video_md5 " + "ab" * 16 + "\nbogus line\n")
    with db.begin() as s:
        info = exchanges.create_exchange(s, "partner-list", "local_file", config={"filename": str(path)})
    assert info.bank_name == "partner-list"
    result = exchanges.fetch_exchange(db, "partner-list")
    assert result.added == 6 and result.up_to_date
    assert lookup(db, ("pdq", hashes[3])).blocking[0].source == "exchange:partner-list"
    # fetching again changes nothing
    again = exchanges.fetch_exchange(db, "partner-list")
    assert again.added == 0 and again.removed == 0
    with db.session() as s:
        ex = exchanges.get_exchange(s, "partner-list")
    assert ex.fetch_succeeded and ex.fetched_items == 14 and ex.credentials_from is None


def test_local_file_settings_are_checked_when_created(db: Database) -> None:
    with db.begin() as s, pytest.raises(Invalid, match="no setting"):
        exchanges.create_exchange(s, "x", "local_file", config={"filename": "/x", "colour": "red"})
    with db.begin() as s, pytest.raises(Invalid, match="unknown exchange API"):
        exchanges.create_exchange(s, "y", "carrier_pigeon")


def test_missing_file_is_recorded_and_raised(db: Database, tmp_path: Path) -> None:
    with db.begin() as s:
        exchanges.create_exchange(s, "gone", "local_file", config={"filename": str(tmp_path / "nope.txt")})
    with pytest.raises(Unavailable, match="gone"):
        exchanges.fetch_exchange(db, "gone")
    with db.session() as s:
        ex = exchanges.get_exchange(s, "gone")
    assert ex.fetch_succeeded is False and "No such file" in ex.last_error


def test_disabled_exchange_does_not_fetch(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "l.txt"
    path.write_text("")
    with db.begin() as s:
        exchanges.create_exchange(s, "x", "local_file", config={"filename": str(path)}, enabled=False)
    with pytest.raises(Conflict):
        exchanges.fetch_exchange(db, "x")


# --- NCMEC ------------------------------------------------------------------------------------------------


@pytest.fixture
def ncmec(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS", "esp-user:s3cret")
    with FakeNCMEC(page_size=2) as server:
        yield server


def _seed(server: FakeNCMEC, rnd: random.Random, n: int = 5) -> list[str]:
    hashes = []
    for i in range(n):
        h = rand_pdq(rnd)
        hashes.append(h)
        server.add(
            FakeEntry(
                f"img{i}",
                42,
                BASE_TS + 60 * (i // 3),  # three to a second: more than a page (2) in a 1 s window
                "image",
                "A1" if i % 2 else "B2",
                {"md5": f"{i:032x}", "sha1": "0" * 40, "pdq": h},
            )
        )
    server.add(FakeEntry("vid0", 42, BASE_TS + 900, "video", "A2", {"md5": "f" * 32}))
    return hashes


def _create(db: Database, server: FakeNCMEC, **config) -> None:
    with db.begin() as s:
        exchanges.create_exchange(
            s,
            "ncmec",
            "ncmec",
            config={"environment": "test_Industry", "base_url": server.base_url, **config},
        )


def test_ncmec_fetch_through_pytx_client(db: Database, ncmec: FakeNCMEC, rnd: random.Random) -> None:
    hashes = _seed(ncmec, rnd)
    _create(db, ncmec)
    result = exchanges.fetch_exchange(db, "ncmec")
    # records can be seen twice (windows share their edges, probing re-reads); entries are not doubled
    assert result.up_to_date and result.added == 6 and result.records >= 6
    assert all(r.startswith("GET /hashsharing/v2/entries?") for r in ncmec.requests)
    assert any("start=2" in r for r in ncmec.requests)  # pytx followed NCMEC's paging links
    with db.session() as s:
        entries = {e.original_id: e for e in banks.list_entries(s, "ncmec")}
    assert entries["42-img1"].signals == {"pdq": hashes[1], "md5": f"{1:032x}"}
    assert entries["42-img1"].category_ncmec == "A1" and entries["42-img0"].category_ncmec == "B2"
    assert entries["42-vid0"].signals == {"video_md5": "f" * 32}
    (m,) = lookup(db, ("pdq", hashes[2])).matches
    assert (m.bank_name, m.category, m.source) == ("ncmec", "B2", "exchange:ncmec")


def test_ncmec_fetch_resumes_from_the_committed_checkpoint(
    db: Database, ncmec: FakeNCMEC, rnd: random.Random
) -> None:
    _seed(ncmec, rnd, n=9)
    _create(db, ncmec)
    done = 0
    for _ in range(500):  # one batch per run, as if interrupted after every batch
        result = exchanges.fetch_exchange(db, "ncmec", max_batches=1)
        done += result.added
        if result.up_to_date:
            break
    assert done == 10
    with db.session() as s:
        ex = exchanges.get_exchange(s, "ncmec")
        assert ex.has_checkpoint and ex.checkpoint_time and ex.checkpoint_time > BASE_TS
        assert banks.get_bank(s, "ncmec").entry_count == 10
    # a resumed paging URL was followed with the same from/to, as pytx requires
    assert any("start=" in r for r in ncmec.requests)


def test_ncmec_deleted_entries_leave_the_bank(db: Database, ncmec: FakeNCMEC, rnd: random.Random) -> None:
    hashes = _seed(ncmec, rnd)
    _create(db, ncmec)
    exchanges.fetch_exchange(db, "ncmec")
    assert lookup(db, ("pdq", hashes[1])).matched
    with db.session() as s:
        checkpoint = exchanges.get_exchange(s, "ncmec").checkpoint_time
    ncmec.delete(42, "img1", checkpoint)  # the tombstone falls in the next window
    while time.time() - 5 <= checkpoint + 1:  # pytx asks up to 5 s ago: let the window open
        time.sleep(0.1)
    result = exchanges.fetch_exchange(db, "ncmec")
    assert result.removed == 1
    assert not lookup(db, ("pdq", hashes[1])).matched
    assert lookup(db, ("pdq", hashes[0])).matched


def test_ncmec_only_esp_ids_filters_members(db: Database, ncmec: FakeNCMEC, rnd: random.Random) -> None:
    _seed(ncmec, rnd)
    ncmec.add(FakeEntry("mine", 1, BASE_TS + 30, "image", "A1", {"pdq": rand_pdq(rnd), "md5": "c" * 32}))
    _create(db, ncmec, only_esp_ids=[1])
    result = exchanges.fetch_exchange(db, "ncmec")
    assert result.added == 1
    with db.session() as s:
        assert [e.original_id for e in banks.list_entries(s, "ncmec")] == ["1-mine"]


def test_ncmec_wrong_credentials_are_recorded(
    db: Database, ncmec: FakeNCMEC, rnd: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(ncmec, rnd)
    _create(db, ncmec)
    monkeypatch.setenv("FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS", "esp-user:wrong")
    with pytest.raises(Unavailable, match="401"):
        exchanges.fetch_exchange(db, "ncmec")
    with db.session() as s:
        ex = exchanges.get_exchange(s, "ncmec")
    assert ex.fetch_succeeded is False and "401" in ex.last_error
    # the lease was released: a fetch with the right credentials works
    monkeypatch.setenv("FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS", "esp-user:s3cret")
    assert exchanges.fetch_exchange(db, "ncmec").added == 6


def test_ncmec_without_credentials_says_how_to_configure(
    db: Database, ncmec: FakeNCMEC, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(db, ncmec)
    monkeypatch.delenv("FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS")
    monkeypatch.setenv("FIRSTLIGHT_CONFIG", "/nonexistent.toml")
    with pytest.raises(Invalid, match="FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS"):
        exchanges.fetch_exchange(db, "ncmec")


def test_credentials_from_the_toml_file(
    db: Database, ncmec: FakeNCMEC, rnd: random.Random, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _seed(ncmec, rnd, n=1)
    _create(db, ncmec)
    monkeypatch.delenv("FIRSTLIGHT_EXCHANGE_NCMEC_CREDENTIALS")
    config = tmp_path / "firstlight.toml"
    config.write_text('[banks.credentials.ncmec]\nuser = "esp-user"\npassword = "s3cret"\n')
    monkeypatch.setenv("FIRSTLIGHT_CONFIG", str(config))
    assert exchanges.fetch_exchange(db, "ncmec").added == 2
    with db.session() as s:
        assert "firstlight.toml" in exchanges.get_exchange(s, "ncmec").credentials_from


def test_one_fetch_at_a_time(db: Database, ncmec: FakeNCMEC, rnd: random.Random) -> None:
    from firstlight.banks.exchanges import _acquire
    from firstlight.banks.models import BankExchange

    _create(db, ncmec)
    with db.begin() as s:
        ex_id = s.query(BankExchange.id).scalar()
        assert _acquire(s, ex_id, force=False)
    with pytest.raises(Conflict, match="already running"):
        exchanges.fetch_exchange(db, "ncmec")
    assert exchanges.fetch_exchange(db, "ncmec", force=True).up_to_date


def test_reset_checkpoint_fetches_from_the_start(db: Database, ncmec: FakeNCMEC, rnd: random.Random) -> None:
    _seed(ncmec, rnd, n=2)
    _create(db, ncmec)
    exchanges.fetch_exchange(db, "ncmec")
    with db.begin() as s:
        exchanges.update_exchange(s, "ncmec", reset_checkpoint=True)
    result = exchanges.fetch_exchange(db, "ncmec")
    assert result.records >= 3 and result.added == 0  # seen again, already banked
