""""My documents": the files we hold for the person, and removing one of them."""

from __future__ import annotations

from sqlmodel import select

from bot.casefiles.describe import details, label
from bot.casefiles.models import CaseDocument, DocumentStatus
from bot.casefiles.store import documents_of, remove
from bot.flow.core import State, Turn
from bot.messages import Choice

#: The most files offered for removal at once (a WhatsApp list has 10 rows).
SHOWN = 8
_LABEL_MAX = 24


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_MAX else text[:_LABEL_MAX - 1] + "…"


class MyFiles(State):
    """List the stored files; pick one to remove it."""

    name = "myfiles"

    def enter(self, turn: Turn) -> None:
        assert turn.conversation.id is not None
        files = documents_of(turn.session, turn.runtime.cipher, turn.conversation.id)
        if not files:
            turn.say("myfiles.none")
            turn.go("menu")
            return
        lines = []
        for n, item in enumerate(files, start=1):
            more = details(turn.t, item.pages, item.duration_seconds)
            shown = label(turn.t, item.kind, item.name)
            lines.append(f"{n}. {shown}" + (f" ({more})" if more else "")
                         + (f": {item.caption}" if item.caption else ""))
        turn.say("myfiles.list", files="\n".join(lines))
        options = [Choice(f"remove:{item.id}", _short(turn.t("myfiles.remove", n=n)))
                   for n, item in enumerate(files[:SHOWN], start=1)]
        turn.ask(turn.t("myfiles.prompt"), [*options, turn.option("menu", "common.menu")])

    def handle(self, turn: Turn) -> None:
        if turn.choice == "menu":
            turn.go("menu")
        elif turn.choice and turn.choice.startswith("remove:"):
            turn.data.removing_file = int(turn.choice.removeprefix("remove:"))
            turn.go("myfiles.remove")
        else:
            turn.stay("common.choose_option")


class RemoveFile(State):
    """Confirm before a file is deleted."""

    name = "myfiles.remove"
    back_to = "myfiles"

    def enter(self, turn: Turn) -> None:
        document = _chosen(turn)
        if document is None:
            turn.go("myfiles")
            return
        name = turn.runtime.cipher.decrypt(document.name_enc) if document.name_enc else ""
        turn.ask(turn.t("myfiles.confirm", name=label(turn.t, document.kind, name)),
                 [turn.option("yes", "myfiles.yes"), turn.option("no", "myfiles.no")])

    def handle(self, turn: Turn) -> None:
        document = _chosen(turn)
        if turn.choice == "yes" and document is not None:
            remove(turn.session, document, turn.now)
            turn.data.removing_file = None
            turn.say("myfiles.removed")
            turn.go("myfiles")
        elif turn.choice in ("yes", "no"):
            turn.data.removing_file = None
            turn.go("myfiles")
        else:
            turn.stay("common.choose_option")


def _chosen(turn: Turn) -> CaseDocument | None:
    """The stored file being removed, if it is still this person's and still there."""
    wanted = turn.data.removing_file
    if wanted is None:
        return None
    return turn.session.exec(select(CaseDocument).where(
        CaseDocument.id == wanted, CaseDocument.conversation_id == turn.conversation.id,
        CaseDocument.status == DocumentStatus.STORED)).first()
