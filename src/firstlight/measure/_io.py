"""Reading tables for the measure room: CSV files (CLI) and JSON rows (API) become the same list of
dicts, and results become JSON with ``null`` where a number is undefined."""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from firstlight.errors import Invalid, TooLarge

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "Row",
    "check_rows",
    "column",
    "jsonable",
    "optional_float",
    "optional_text",
    "read_csv",
    "to_bool",
    "to_float",
]

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_ROWS = 2_000_000
Row = Mapping[str, Any]

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "violating", "positive"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "benign", "negative"}


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV file with a header line; a clear error for anything that is not one."""
    p = Path(path)
    if not p.is_file():
        raise Invalid(f"{p}: no such file")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise TooLarge(f"{p}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    rows: list[dict[str, str]] = []
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise Invalid(f"{p}: empty file; the first line must name the columns")
            names = [h.strip() for h in header]
            if not all(names):
                raise Invalid(f"{p}: column {names.index('') + 1} of the header has no name")
            if len(set(names)) != len(names):
                raise Invalid(f"{p}: repeated column names in the header")
            for line in reader:
                if not line or all(not v.strip() for v in line):
                    continue
                if len(line) != len(names):
                    raise Invalid(
                        f"{p}: line {reader.line_num} has {len(line)} fields, the header has {len(names)}"
                    )
                rows.append(dict(zip(names, (v.strip() for v in line), strict=True)))
                if len(rows) > MAX_ROWS:
                    raise TooLarge(f"{p}: more than {MAX_ROWS:,} rows")
    except UnicodeDecodeError:
        raise Invalid(f"{p}: not a UTF-8 text file") from None
    except csv.Error as exc:
        raise Invalid(f"{p}: not a valid CSV file ({exc})") from None
    if not rows:
        raise Invalid(f"{p}: the file has a header but no rows")
    return rows


def column(row: Row, *names: str) -> Any:
    """The value of the first of ``names`` present in the row (case-insensitive), else None."""
    for name in names:
        if name in row:
            return row[name]
    lowered = {str(k).lower(): v for k, v in row.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def to_bool(value: Any, what: str, index: int) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(f"row {index}: {what} must be 1/0, true/false or yes/no, got {value!r}")


def to_float(value: Any, what: str, index: int) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"row {index}: {what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise Invalid(f"row {index}: {what} must be a finite number, got {value!r}")
    return number


def optional_float(value: Any, what: str, index: int) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_float(value, what, index)


def optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def check_rows(rows: Sequence[Row], what: str) -> None:
    if not rows:
        raise Invalid(f"the {what} has no rows")
    if len(rows) > MAX_ROWS:
        raise TooLarge(f"the {what} has more than {MAX_ROWS:,} rows")


def jsonable(value: Any) -> Any:
    """Dataclasses, numpy values and tuples to plain JSON; NaN and infinities to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return jsonable(value.to_dict())
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    return value
