"""The turn that receives files: it only notes them (fetching is the download job's).

Inside the person's lock nothing is downloaded: each file becomes a ``pending`` row with
where to fetch it (encrypted), due at once; the message's text is the file's caption. The
job then tells the person what was kept ("Received: refusal-letter.pdf, 2 pages") or why
not.
"""

from __future__ import annotations

import dataclasses

from bot.casefiles.models import CaseDocument, DocumentStatus
from bot.flow.core import Turn

#: Telegram and WhatsApp put one file in a message; more is a forged request's doing.
MAX_PER_MESSAGE = 10
_NAME_MAX = 120


def keep_files(turn: Turn) -> bool:
    """Note the message's files for the download job; whether it had any."""
    media = turn.inbound.media[:MAX_PER_MESSAGE]
    if not media or turn.conversation.id is None:
        return False
    cipher = turn.runtime.cipher
    caption = turn.text
    for position, item in enumerate(media):
        name = (item.filename or "").strip()[:_NAME_MAX]
        turn.session.add(CaseDocument(
            conversation_id=turn.conversation.id, channel=turn.inbound.channel,
            platform_message_id=turn.inbound.message_id, position=position, kind=item.kind,
            status=DocumentStatus.PENDING, name_enc=cipher.encrypt(name) if name else None,
            caption_enc=cipher.encrypt(caption) if caption and position == 0 else None,
            source_enc=cipher.encrypt_json(dataclasses.asdict(item)),
            received_at=turn.now, due_at=turn.now, attempts=0, chunks=0))
    return True
