"""Serving one file of a case file to signed-in staff: inline, never cached, each view audited."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, abort, request, stream_with_context

from bot.casefiles.kinds import BY_TYPE
from bot.casefiles.models import CaseDocument, DocumentStatus
from bot.casefiles.store import read_chunks
from dashboard import audit
from dashboard.blueprint import audit_here, bp, runtime
from dashboard.casefiles import StaffFile, staff_files


@bp.app_template_global("case_files")
def case_files(conversation_id: int, booking_id: int | None = None) -> list[StaffFile]:
    """For ``staff/_case_files.html``: the files to list on a booking or person page."""
    rt = runtime()
    with rt.db.transaction() as db:
        return staff_files(db, rt.cipher, conversation_id, booking_id)


@bp.get("/files/<int:document_id>")
def case_file(document_id: int) -> Response:
    """The file's bytes, decrypted chunk by chunk as they are sent. The name it had is
    not used (it is the person's, and could be anything): ``case-file-<id>.<ext>``."""
    rt = runtime()
    with rt.db.transaction() as db:
        document = db.get(CaseDocument, document_id)
        if document is None or document.status != DocumentStatus.STORED:
            abort(404)
        kind = BY_TYPE.get(document.media_type or "")
        if kind is None:
            abort(404)
        audit_here(db, audit.VIEW_FILE,
                   f"file:{document_id} of person:{document.conversation_id}")
    disposition = "attachment" if request.args.get("download") else "inline"
    chunks: Iterator[bytes] = read_chunks(rt.db, rt.cipher, document_id)
    response = Response(stream_with_context(chunks), mimetype=kind.media_type)
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="case-file-{document_id}.{kind.extension}"'
    if document.size:
        response.headers["Content-Length"] = str(document.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
