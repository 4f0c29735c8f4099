"""What the person is told about their booking outside the chat turn: the Zoom link message
with its calendar file, sent through the outbox once the meeting exists, or, when Zoom
refused to make it, that the team will send the link personally (and staff are alerted).

Also the shared wording of times: every time shown to the person is in their zone,
named, with the date in their language.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from sqlmodel import Session

from booking.ics import booking_calendar
from booking.meetings import sync_meetings
from booking.models import Booking, BookingStatus
from booking.zoom import FallbackMeetings, MeetingService, ZoomClient, meeting_topic
from bot.i18n import Translator
from bot.identifiers import address_of
from bot.messages import Document, Reply, Text, reply_to_dict
from bot.models import Conversation
from bot.notices.staff_alerts import AlertKind, alert_staff
from bot.validation.timezones import zone_label
from plumbing import outbox_keys
from plumbing.outbox import enqueue
from plumbing.runtime import Runtime, Slot
from plumbing.settings import Settings

log = logging.getLogger(__name__)

KIND = "meeting_link"
FAILED_KIND = "meeting_failed"


# --- wording of times -----------------------------------------------------------------


def when_text(start: datetime, end: datetime, zone: str, lang: str) -> str:
    """``Wednesday, March 4, 2026, 1:30 PM – 2:00 PM`` in ``zone``, in ``lang``."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    day = format_date(local.date(), format="full", locale=lang)
    hours = f"{short_time(start, zone, lang)} – {short_time(end, zone, lang)}"
    glue = str(get_datetime_format("medium", locale=lang))  # "{1}, {0}"; Arabic "{1}، {0}"
    return glue.replace("{1}", day).replace("{0}", hours)


def short_time(moment: datetime, zone: str, lang: str) -> str:
    """The time of day of ``moment`` in ``zone``, as ``lang`` writes it (``1:30 PM``)."""
    return format_time(moment.astimezone(ZoneInfo(zone)), format="short", locale=lang)


def short_day(moment: datetime, zone: str, lang: str) -> str:
    """The local date of ``moment`` in short form (``Wed, Mar 4``; ``ср, 4 мар.``)."""
    return format_skeleton("MMMEd", moment.astimezone(ZoneInfo(zone)), locale=lang)


def zone_name(zone: str, lang: str, at: datetime) -> str:
    """The zone named for the person, with its offset at ``at`` (``Tehran (GMT+03:30)``)."""
    return zone_label(zone, lang, at)


def person_zone(session: Session, booking: Booking) -> str:
    """The zone the person chose last (their conversation's), else the one booked with."""
    conversation = session.get(Conversation, booking.conversation_id)
    return (conversation.timezone if conversation and conversation.timezone
            else booking.applicant_timezone)


def person_language(session: Session, booking: Booking) -> str:
    """The person's current language, else the one they booked in."""
    conversation = session.get(Conversation, booking.conversation_id)
    return Translator(conversation.language if conversation and conversation.language
                      else booking.language).lang


# --- the calendar file ----------------------------------------------------------------


def calendar_document(booking: Booking, settings: Settings, lang: str, now: datetime) -> Document:
    """The booking's .ics: the same UID for every version, cancelled ones as METHOD:CANCEL."""
    t = Translator(lang, digits=settings.message_digits)
    company = settings.company_name
    description = t("booking.ics.description", company=company)
    if booking.join_url:
        description += "\n" + t("booking.link.join", url=booking.join_url)
    cancelled = booking.status == BookingStatus.CANCELLED
    content = booking_calendar(
        uid=booking.ics_uid,
        start=booking.start,
        duration_minutes=booking.duration_minutes,
        summary=t("booking.ics.summary", company=company),
        description=description,
        join_url=booking.join_url,
        organizer_email=settings.company_email,
        now=now,
        sequence=booking.ics_sequence,
        cancelled=cancelled,
    )
    return Document(
        filename="consultation.ics",
        caption=t("booking.ics.caption_cancelled" if cancelled else "booking.ics.caption"),
        media_type="text/calendar",
        content=content,
    )


# --- the link message -----------------------------------------------------------------


def link_message(session: Session, booking: Booking, settings: Settings,
                 now: datetime) -> list[Reply]:
    """The message with the meeting link and calendar file, in the person's language and zone."""
    lang = person_language(session, booking)
    zone = person_zone(session, booking)
    t = Translator(lang, digits=settings.message_digits)
    key = "booking.link.moved" if booking.rescheduled_from_id else "booking.link.ready"
    lines = [t(key, when=when_text(booking.start, booking.end, zone, lang),
               zone=zone_name(zone, lang, booking.start)),
             t("booking.link.join", url=booking.join_url or "")]
    if booking.meeting_password and booking.meeting_password not in (booking.join_url or ""):
        lines.append(t("booking.link.password", password=booking.meeting_password))
    return [Text("\n".join(lines)), calendar_document(booking, settings, lang, now)]


def notice_variables(booking: Booking, replies: list[Reply]) -> tuple[str, ...]:
    """The WhatsApp notice template's variables, as the other notices fill them:
    ``{{1}}`` the message (its first line: when), ``{{2}}`` the link (the meeting's)."""
    text = next((r.text for r in replies if isinstance(r, Text)), "")
    return (text.split("\n", 1)[0], booking.join_url or "")


def tell_person(runtime: Runtime, session: Session, booking: Booking, *, key: str, kind: str,
                replies: Sequence[Reply], now: datetime,
                template: tuple[str, Sequence[str]] | None) -> bool:
    """Queue ``replies`` for the person who made ``booking``, on their channel, once per
    ``key`` (False when that key was queued before)."""
    person = session.get(Conversation, booking.conversation_id)
    recipient = address_of(runtime.cipher, person) if person is not None else None
    if recipient is None:  # erased: nobody to tell
        return False
    return enqueue(session, runtime.cipher, key=key, kind=kind, channel=booking.channel,
                   recipient=recipient, replies=[reply_to_dict(r) for r in replies],
                   now=now, template=template, conversation_id=booking.conversation_id)


def enqueue_link(runtime: Runtime, session: Session, booking: Booking) -> bool:
    """Put the link message in the outbox, once per booking and meeting."""
    now = runtime.clock()
    replies = link_message(session, booking, runtime.settings, now)
    return tell_person(runtime, session, booking,
                       key=outbox_keys.meeting_link(booking.id, booking.meeting_id), kind=KIND,
                       replies=replies, now=now,
                       template=("notice", notice_variables(booking, replies)))


# --- Zoom refused the meeting ---------------------------------------------------------


def failure_message(session: Session, booking: Booking, settings: Settings,
                    now: datetime) -> list[Reply]:
    """The booking stands and the team will send the link personally; with the calendar file
    (the one the link message would have brought), in the person's language and zone."""
    lang = person_language(session, booking)
    zone = person_zone(session, booking)
    text = Translator(lang, digits=settings.message_digits)(
        "booking.link.by_hand", when=when_text(booking.start, booking.end, zone, lang),
        zone=zone_name(zone, lang, booking.start))
    return [Text(text), calendar_document(booking, settings, lang, now)]


def meeting_failed(runtime: Runtime, session: Session, booking: Booking) -> None:
    """Zoom refused the booking's meeting: alert staff to send a link by hand and tell the
    person so, both through the outbox, once per booking."""
    now = runtime.clock()
    alert_staff(session, runtime, kind=AlertKind.MEETING_FAILED, booking=booking, now=now)
    replies = failure_message(session, booking, runtime.settings, now)
    first = replies[0]
    assert isinstance(first, Text)
    tell_person(runtime, session, booking, key=outbox_keys.meeting_failed(booking.id),
                kind=FAILED_KIND, replies=replies, now=now,
                template=("notice", (first.text, runtime.settings.company_website)))


# --- the worker's entry point ---------------------------------------------------------

MEETINGS: Slot[MeetingService] = Slot("meetings")


def meeting_service(runtime: Runtime) -> MeetingService | None:
    """Zoom when configured, else the fallback link, else None; one per runtime."""
    settings = runtime.settings
    if settings.zoom_enabled:
        assert settings.zoom_client_secret is not None
        secret = settings.zoom_client_secret.get_secret_value()
        return runtime.services.get(MEETINGS, lambda: ZoomClient(
            account_id=settings.zoom_account_id or "",
            client_id=settings.zoom_client_id or "",
            client_secret=secret,
            api_base_url=settings.zoom_api_base_url,
            oauth_url=settings.zoom_oauth_url,
            clock=runtime.clock,
        ))
    if settings.zoom_fallback_link:
        link = settings.zoom_fallback_link
        return runtime.services.get(MEETINGS, lambda: FallbackMeetings(link))
    return None


def run_meeting_sync(runtime: Runtime, *, limit: int = 20) -> int:
    """Create, move and delete due meetings; enqueue link messages (or, when Zoom refuses,
    the staff alert and the person's notice). Returns jobs done.

    Called by the outbox worker on each round; makes no remote call inside a transaction.
    """
    service = meeting_service(runtime)
    if service is None:
        return 0
    return sync_meetings(
        runtime.db,
        service,
        runtime.clock,
        on_ready=lambda session, booking: enqueue_link(runtime, session, booking),
        on_failed=lambda session, booking: meeting_failed(runtime, session, booking),
        limit=limit,
        topic=meeting_topic(runtime.settings.company_name),
    )
