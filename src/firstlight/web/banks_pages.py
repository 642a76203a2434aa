"""Console: hash banks — list banks, read entries (hashes and metadata, never media), add a hash, disable or
enable an entry, import a hash list. Reading needs ``banks``; changing needs ``banks_write``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse

from firstlight import banks
from firstlight.errors import Invalid, TooLarge
from firstlight.web.pages import render, require_permission
from firstlight.web.security import check_csrf
from firstlight.web.users import SignedInUser

router = APIRouter(include_in_schema=False)
Reader = Annotated[SignedInUser, Depends(require_permission("banks"))]
Writer = Annotated[SignedInUser, Depends(require_permission("banks_write"))]
CSRF = [Depends(check_csrf)]
MAX_IMPORT_BYTES = 16 * 1024 * 1024


@router.get("/banks")
def banks_page(request: Request, user: Reader):
    with request.app.state.db.session() as session:
        rows = banks.list_banks(session)
    return render(request, "banks.html", user, banks=rows)


@router.get("/banks/{name}")
def bank_page(request: Request, name: str, user: Reader, after: int = 0):
    message = request.session.pop("flash", None)
    with request.app.state.db.session() as session:
        bank = banks.get_bank(session, name)
        entries = banks.list_entries(session, name, limit=100, after_id=max(0, after))
    return render(request, "bank.html", user, bank=bank, entries=entries, message=message)


@router.post("/banks/{name}/entries", dependencies=CSRF)
def add_entry(
    request: Request,
    name: str,
    user: Writer,
    signal_type: Annotated[str, Form(max_length=40)],
    value: Annotated[str, Form(max_length=20000)],
    category: Annotated[str | None, Form(max_length=10)] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
):
    iwf = category if category in ("A", "B", "C") else None
    ncmec = category if category in ("A1", "A2", "B1", "B2") else None
    with request.app.state.db.begin() as session:
        entry = banks.add_to_bank(session, name, (signal_type, value.strip()), source="console",
                                  category_iwf=iwf, category_ncmec=ncmec, note=note or None,
                                  actor=user.actor)
    request.session["flash"] = f"added entry {entry.id}"
    return RedirectResponse(f"/banks/{name}", status_code=303)


@router.post("/banks/{name}/entries/{entry_id}/enabled", dependencies=CSRF)
def toggle_entry(
    request: Request,
    name: str,
    entry_id: int,
    user: Writer,
    enabled: Annotated[bool, Form()],
    reason: Annotated[str | None, Form(max_length=500)] = None,
):
    with request.app.state.db.begin() as session:
        banks.set_entry_enabled(session, entry_id, enabled, reason=reason or None, bank_name=name,
                                actor=user.actor)
    return RedirectResponse(f"/banks/{name}", status_code=303)


@router.post("/banks/{name}/import", dependencies=CSRF)
async def import_list(
    request: Request,
    name: str,
    user: Writer,
    fmt: Annotated[str, Form(pattern="^(local|csv|jsonl)$")],
    file: Annotated[UploadFile, File()],
):
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(f"hash lists up to {MAX_IMPORT_BYTES // (1024 * 1024)} MiB in the console; "
                       "use `firstlight bank import` for larger ones")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the hash list is not UTF-8 text") from None
    with request.app.state.db.begin() as session:
        result = banks.import_into_bank(session, name, text.splitlines(), fmt, actor=user.actor)
    message = f"imported {result.added}, {result.duplicates} already there, {len(result.errors)} errors"
    request.session["flash"] = message
    return RedirectResponse(f"/banks/{name}", status_code=303)
