"""Replies as the widget's messages: text, a question with buttons, a download link."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.messages import Choices, Document, Reply, Text
from channels import files
from plumbing.runtime import Runtime

Publish = Callable[[Document], str]


def render(replies: Sequence[Reply], publish: Publish) -> list[dict[str, Any]]:
    """One widget message per reply (documents held as bytes are published first)."""
    rendered: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Text):
            if reply.text.strip():
                rendered.append({"kind": "text", "text": reply.text})
        elif isinstance(reply, Choices):
            rendered.append({"kind": "choices", "text": reply.text, "token": reply.token,
                             "choices": [{"id": c.id, "label": c.label.strip() or c.id}
                                         for c in reply.choices]})
        else:
            rendered.append(_document(reply, publish))
    return rendered


def _document(document: Document, publish: Publish) -> dict[str, Any]:
    url = document.url or (publish(document) if document.content is not None else None)
    if url is None:
        return {"kind": "text", "text": document.caption}
    return {"kind": "document", "caption": document.caption, "url": url,
            "filename": files.safe_filename(document.filename)}


def publisher(runtime: Runtime) -> Publish:
    """Publish through the shared files (``/files/…``); a relative link without
    ``PUBLIC_BASE_URL`` (the widget resolves it against the address it was loaded from)."""

    def publish(document: Document) -> str:
        with runtime.db.transaction() as session:
            return files.publish(session, runtime.cipher, document, now=runtime.clock(),
                                 public_base_url=runtime.settings.public_base_url or "/")

    return publish
