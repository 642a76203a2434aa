"""Hash-list formats: pytx's local-file and CSV formats, and Firstlight JSON lines."""

from __future__ import annotations

import csv
import io

import pytest

from firstlight.banks.formats import (
    CSV_HEADER,
    HashRecord,
    ParseError,
    categories_from_tags,
    parse,
    tags_with_categories,
    write,
)

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_local_file_lines_are_type_space_signal_like_pytx() -> None:
    items = list(parse([f"pdq {PDQ}\n", "\n", "# a comment\n", f"video_md5 {MD5}"], "local"))
    assert items == [
        HashRecord(signals=(("pdq", PDQ),), line=1),
        HashRecord(signals=(("video_md5", MD5),), line=4),
    ]


def test_local_file_with_one_signal_type_has_bare_signals() -> None:
    items = list(parse([PDQ, MD5], "local", signal_type="pdq"))
    assert [i.signals for i in items] == [(("pdq", PDQ),), (("pdq", MD5),)]


def test_local_file_line_without_signal_is_an_error_with_its_line_number() -> None:
    items = list(parse(["pdq", f"pdq {PDQ}"], "local"))
    assert isinstance(items[0], ParseError) and items[0].line == 1
    assert isinstance(items[1], HashRecord)


def test_csv_reads_pytx_dataset_header_category_and_tags() -> None:
    text = f"signal_type,signal_str,collab,category,tags\npdq,{PDQ},NCMEC,POSITIVE_CLASS,A1 iwf:B extra\n"
    (rec,) = parse(text.splitlines(), "csv")
    assert isinstance(rec, HashRecord)
    assert rec.signals == (("pdq", PDQ),)
    assert rec.collab == "NCMEC" and rec.opinion == "POSITIVE_CLASS"
    assert rec.category_ncmec == "A1" and rec.category_iwf == "B"
    assert rec.tags == ("A1", "iwf:B", "extra")


def test_csv_without_signal_columns_is_rejected() -> None:
    (err,) = parse(["signal,tags", f"{PDQ},x"], "csv")
    assert isinstance(err, ParseError) and "signal_type" in err.message


def test_csv_unknown_category_is_an_error() -> None:
    items = list(parse(["signal_type,signal_str,category", f"pdq,{PDQ},MAYBE"], "csv"))
    assert isinstance(items[0], ParseError) and "MAYBE" in items[0].message


def test_csv_written_is_readable_by_the_csv_module_with_pytx_header() -> None:
    rec = HashRecord(signals=(("pdq", PDQ), ("md5", MD5)), tags=("x",), category_ncmec="B2")
    text = "".join(write([rec], "csv", collab="BANK"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_HEADER
    assert rows[1] == ["pdq", PDQ, "BANK", "POSITIVE_CLASS", "B2 x"]
    assert rows[2] == ["md5", MD5, "BANK", "POSITIVE_CLASS", "B2 x"]


@pytest.mark.parametrize("fmt", ["local", "csv", "jsonl"])
def test_write_then_parse_round_trips_signals(fmt: str) -> None:
    recs = [
        HashRecord(signals=(("pdq", PDQ),), category_iwf="A", category_ncmec="A1", tags=("t",)),
        HashRecord(signals=(("md5", MD5),)),
    ]
    back = [r for r in parse("".join(write(recs, fmt)).splitlines(), fmt) if isinstance(r, HashRecord)]
    assert [r.signals for r in back] == [r.signals for r in recs]
    if fmt != "local":
        assert (back[0].category_iwf, back[0].category_ncmec) == ("A", "A1")


def test_jsonl_keeps_all_metadata() -> None:
    rec = HashRecord(
        signals=(("pdq", PDQ), ("sha256", "ab" * 32)),
        source="iwf-2026-11",
        note="n",
        original_id="IWF-1",
        enabled=False,
        tags=("t",),
    )
    (back,) = parse("".join(write([rec], "jsonl")).splitlines(), "jsonl")
    assert back == HashRecord(**{**rec.__dict__, "line": 1})


def test_jsonl_garbage_is_an_error() -> None:
    (err,) = parse(["{not json"], "jsonl")
    assert isinstance(err, ParseError)


def test_categories_travel_as_tags_both_ways() -> None:
    assert categories_from_tags(["a2", "IWF:c"]) == ("C", "A2")
    assert categories_from_tags(["B"]) == ("B", None)
    assert tags_with_categories(["z"], "A", "B1") == ["B1", "iwf:A", "z"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        list(parse([], "xml"))
