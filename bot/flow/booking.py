"""Booking the free consultation in the chat, and the person's booking afterwards.

The person's time zone is suggested (phone number, country of residence, language
region), confirmed or changed by city, country or offset, and kept on the
conversation. Free times come as pages that fit every channel: a day (at most seven a
page), then a time on it, each page with at most ten choices. A chosen time is held
while the person confirms; confirming books it exactly once (a key drawn with the
hold names the request), re-checked under the consultants' locks. A time taken meanwhile is
answered politely with the nearest free ones.

Choice ids stay short for button payloads: ``day:2026-03-04``, ``slot:202603041000``
(UTC), ``tz:Europe/London``. Progress is kept in the conversation's working data
(:class:`bot.working.BookingProgress`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import select

from booking import service
from booking.models import Booking, BookingStatus, MeetingStatus
from booking.service import NotBookable, SlotTaken
from bot.booking_changes import cancel_booking, confirm_booking, withdraw_waiting
from bot.case import read_case
from bot.flow.core import State, Turn
from bot.flow.forget import ERASERS
from bot.flow.handoff import request_person
from bot.messages import Choice
from bot.models import CaseFile
from bot.notices.booking_notices import (
    calendar_document,
    short_day,
    short_time,
    when_text,
    zone_name,
)
from bot.validation.dates import parse_deadline
from bot.validation.phones import phone_hints
from bot.validation.times import parse_times
from bot.validation.timezones import resolve_timezone, suggest_timezone
from bot.working import BookingProgress

DAYS_PER_PAGE = 7
TIMES_PER_PAGE = 7
NEAREST_TIMES = 3
REASON_MAX = 500
_SLOT_FORMAT = "%Y%m%d%H%M"


# --- helpers --------------------------------------------------------------------------


def progress(turn: Turn) -> BookingProgress:
    """This booking attempt's progress in the conversation data."""
    return turn.data.booking


def slot_id(start: datetime) -> str:
    """``slot:YYYYMMDDHHMM`` in UTC."""
    return "slot:" + start.astimezone(UTC).strftime(_SLOT_FORMAT)


def slot_start(value: str) -> datetime:
    """Inverse of :func:`slot_id` (without the prefix)."""
    return datetime.strptime(value.removeprefix("slot:"), _SLOT_FORMAT).replace(tzinfo=UTC)


def zone_of(turn: Turn) -> str | None:
    return turn.conversation.timezone


def moving(turn: Turn) -> int | None:
    """The id of the booking being moved, when rescheduling."""
    return progress(turn).move_id


def free(turn: Turn) -> list[service.Slot]:
    """Free slots as this person may book them (their own hold and moved booking aside)."""
    return service.find_free_slots(turn.session, turn.runtime.settings, turn.now,
                                   conversation_id=turn.conversation_id,
                                   exclude_booking_id=moving(turn))


def local_day(start: datetime, zone: str) -> date:
    """The date of ``start`` on the wall calendar of ``zone``."""
    return start.astimezone(ZoneInfo(zone)).date()


def the_booking(turn: Turn, booking_id: int | None) -> Booking | None:
    """The person's upcoming confirmed booking with this id."""
    if booking_id is None:
        return None
    booking = turn.session.get(Booking, booking_id)
    if booking is None or booking.conversation_id != turn.conversation.id or \
            booking.status != BookingStatus.CONFIRMED or booking.end <= turn.now:
        return None
    return booking


def describe(turn: Turn, booking: Booking) -> tuple[str, str]:
    """(when, zone name) of a booking for this person."""
    zone = zone_of(turn) or booking.applicant_timezone
    return (when_text(booking.start, booking.end, zone, turn.lang),
            zone_name(zone, turn.lang, booking.start))


def set_zone(turn: Turn, zone: str) -> None:
    turn.conversation.timezone = zone
    turn.say("booking.tz.set", zone=zone_name(zone, turn.lang, turn.now))
    turn.go("booking.day")


def suggested_zone(turn: Turn) -> str | None:
    """A zone from the phone number, the country the person lives in, or the language."""
    phone = phone_hints(turn.inbound.phone) if turn.inbound.phone else None
    return suggest_timezone(
        phone_timezones=phone.timezones if phone else (),
        country_code=residence(turn),
        lang=turn.inbound.language_hint,
    )


def residence(turn: Turn) -> str | None:
    """The country where the case is (asylum claimed), from the stored case."""
    case_id = turn.data.case_id
    case = turn.session.get(CaseFile, case_id) if case_id else None
    return read_case(turn.runtime.cipher, case).asylum_country


def take(turn: Turn, start: datetime) -> None:
    """Hold the chosen time and ask to confirm; if it is gone, offer the nearest."""
    try:
        hold = service.hold_slot(turn.session, turn.runtime.settings, turn.now,
                                 conversation_id=turn.conversation_id, start=start,
                                 exclude_booking_id=moving(turn))
    except SlotTaken as taken:
        offer_nearest(turn, taken)
        return
    state = progress(turn)
    # Names this confirmation: a redelivered or retried "Confirm" books once. (Hold ids
    # are not unique over time: SQLite reuses the id of a deleted last row.)
    state.slot, state.hold, state.consultant = slot_id(start), hold.id, hold.consultant_id
    state.request = uuid.uuid4().hex[:20]
    turn.go("booking.confirm")


def offer_nearest(turn: Turn, taken: SlotTaken) -> None:
    state = progress(turn)
    if taken.nearest:
        state.nearest = [slot_id(s.start) for s in taken.nearest]
        turn.say("booking.taken")
        turn.go("booking.nearest")
    else:
        turn.say("booking.taken_none")
        turn.go("booking.day")


def release(turn: Turn) -> None:
    service.release_holds(turn.session, turn.conversation_id)
    progress(turn).release()


# --- time zone ------------------------------------------------------------------------


class Start(State):
    """Entry from the finished intake (or "book"): settle the time zone, then the days."""

    name = "booking.start"

    def enter(self, turn: Turn) -> None:
        state = progress(turn)
        # A move left unfinished is dropped once its booking is gone (cancelled by staff,
        # begun): the person then books anew instead of "moving" nothing.
        if the_booking(turn, moving(turn)) is None:
            turn.data.end_booking()
            state = progress(turn)
            upcoming = service.upcoming_for(turn.session, turn.conversation_id, turn.now)
            if upcoming:
                turn.say("booking.already")
                turn.go("booking.mine")
                return
        if zone_of(turn):
            turn.go("booking.day")
            return
        suggestion = suggested_zone(turn)
        if suggestion is None:
            turn.go("booking.timezone")
            return
        state.suggested = suggestion
        turn.ask(turn.t("booking.tz.suggest", zone=zone_name(suggestion, turn.lang, turn.now)),
                 [turn.option("yes", "booking.tz.yes"), turn.option("change", "booking.tz.change")])

    def handle(self, turn: Turn) -> None:
        suggestion = progress(turn).suggested
        if turn.choice == "yes" and suggestion:
            set_zone(turn, suggestion)
        elif turn.choice == "change":
            turn.go("booking.timezone")
        elif turn.text:  # a place typed straight away
            turn.conversation.state = "booking.timezone"
            TimeZone.read(turn)
        else:
            turn.stay("common.choose_option")


class TimeZone(State):
    """Where the person is: a city, a country or an offset."""

    name = "booking.timezone"

    def enter(self, turn: Turn) -> None:
        turn.say("booking.tz.prompt")

    def handle(self, turn: Turn) -> None:
        if turn.choice and turn.choice.startswith("tz:"):
            set_zone(turn, turn.choice.removeprefix("tz:"))
        elif turn.choice == "retype":
            turn.stay()
        else:
            self.read(turn)

    @staticmethod
    def read(turn: Turn) -> None:
        found = resolve_timezone(turn.text, turn.lang)
        if len(found) == 1:
            set_zone(turn, found[0])
        elif found:
            options = [Choice(f"tz:{zone}", turn.t.shape(zone_name(zone, turn.lang, turn.now)))
                       for zone in found]
            turn.ask(turn.t("booking.tz.did_you_mean"),
                     [*options, turn.option("retype", "booking.tz.retype")])
        else:
            turn.stay("booking.tz.unknown")

    def back(self, turn: Turn) -> None:
        turn.go("booking.day" if zone_of(turn) else "menu")


# --- choosing a day and a time --------------------------------------------------------


class Day(State):
    """A page of days with free times, in the person's zone."""

    name = "booking.day"

    def enter(self, turn: Turn) -> None:
        zone = zone_of(turn)
        if zone is None:
            turn.go("booking.timezone")
            return
        days = sorted({local_day(s.start, zone) for s in free(turn)})
        if not days:
            request_person(turn, "booking")
            turn.say("booking.none_free",
                     days=turn.t.count("count.days", turn.runtime.settings.booking_horizon_days))
            turn.go("booking.mine" if moving(turn) else "menu")
            return
        state = progress(turn)
        pages = (len(days) - 1) // DAYS_PER_PAGE + 1
        page = min(max(state.day_page or 0, 0), pages - 1)
        state.day_page = page
        shown = days[page * DAYS_PER_PAGE:(page + 1) * DAYS_PER_PAGE]
        options = [Choice(f"day:{d.isoformat()}",
                          turn.t.shape(format_date(d, "EEE d MMM", locale=turn.lang)))
                   for d in shown]
        if page + 1 < pages:
            options.append(turn.option("later", "booking.day.later"))
        if page > 0:
            options.append(turn.option("earlier", "booking.day.earlier"))
        options.append(turn.option("tz", "booking.tz.change"))
        key = "booking.day.prompt_move" if moving(turn) else "booking.day.prompt"
        turn.ask(turn.t(key, zone=zone_name(zone, turn.lang, turn.now),
                        minutes=turn.t.count("count.minutes",
                                             turn.runtime.settings.booking_slot_minutes)),
                 options)

    def handle(self, turn: Turn) -> None:
        state = progress(turn)
        choice = turn.choice
        if choice and choice.startswith("day:"):
            state.day, state.time_page = choice.removeprefix("day:"), 0
            turn.go("booking.time")
        elif choice in ("later", "earlier"):
            state.day_page = (state.day_page or 0) + (1 if choice == "later" else -1)
            self.enter(turn)
        elif choice == "tz":
            turn.go("booking.timezone")
        elif turn.text and (typed := parse_deadline(turn.text, turn.lang, turn.now.date())):
            state.day, state.time_page = typed.isoformat(), 0
            turn.go("booking.time")
        else:
            turn.stay("common.choose_option")

    def back(self, turn: Turn) -> None:
        turn.go("booking.mine" if moving(turn) else "menu")


class Time(State):
    """A page of free times on the chosen day."""

    name = "booking.time"
    back_to = "booking.day"

    def slots(self, turn: Turn, zone: str, day: date) -> list[service.Slot]:
        return [s for s in free(turn) if local_day(s.start, zone) == day]

    def enter(self, turn: Turn) -> None:
        zone = zone_of(turn)
        state = progress(turn)
        if zone is None or state.day is None:
            turn.go("booking.day")
            return
        day = date.fromisoformat(state.day)
        slots = self.slots(turn, zone, day)
        if not slots:
            turn.say("booking.day_full", day=format_date(day, format="full", locale=turn.lang))
            turn.go("booking.day")
            return
        pages = (len(slots) - 1) // TIMES_PER_PAGE + 1
        page = min(max(state.time_page or 0, 0), pages - 1)
        state.time_page = page
        shown = slots[page * TIMES_PER_PAGE:(page + 1) * TIMES_PER_PAGE]
        options = [Choice(slot_id(s.start), turn.t.shape(short_time(s.start, zone, turn.lang)))
                   for s in shown]
        if page + 1 < pages:
            options.append(turn.option("later", "booking.time.later"))
        if page > 0:
            options.append(turn.option("earlier", "booking.time.earlier"))
        options.append(turn.option("day", "booking.time.other_day"))
        turn.ask(turn.t("booking.time.prompt",
                        day=format_date(day, format="full", locale=turn.lang),
                        zone=zone_name(zone, turn.lang, shown[0].start)), options)

    def handle(self, turn: Turn) -> None:
        state = progress(turn)
        choice = turn.choice
        if choice and choice.startswith("slot:"):
            take(turn, slot_start(choice))
        elif choice in ("later", "earlier"):
            state.time_page = (state.time_page or 0) + (1 if choice == "later" else -1)
            self.enter(turn)
        elif choice == "day":
            turn.go("booking.day")
        elif not self.typed_time(turn):
            turn.stay("common.choose_option")

    def typed_time(self, turn: Turn) -> bool:
        """Take a time typed in words ("3pm", "в 12", "٣ عصرًا"): the free time it names,
        or, for a time that is not free, the nearest free ones that day. False if no time."""
        zone, chosen_day = zone_of(turn), progress(turn).day
        wanted = parse_times(turn.text)
        if zone is None or not wanted or chosen_day is None:
            return False
        day = date.fromisoformat(chosen_day)
        slots = self.slots(turn, zone, day)
        tz = ZoneInfo(zone)
        local = {(s.start.astimezone(tz).hour, s.start.astimezone(tz).minute): s for s in slots}
        exact = next((local[t] for t in wanted if t in local), None)
        if exact is not None:
            take(turn, exact.start)
            return True
        targets = [datetime.combine(day, time(h, m), tz) for h, m in wanted
                   if h < 24]
        nearest = sorted(slots, key=lambda s: min(abs(s.start - t) for t in targets))
        chosen = sorted(nearest[:NEAREST_TIMES], key=lambda s: s.start)
        if not chosen:
            return False
        progress(turn).nearest = [slot_id(s.start) for s in chosen]
        turn.say("booking.time.not_free")
        turn.go("booking.nearest")
        return True


class Nearest(State):
    """After a time was taken: the nearest free times, with their dates."""

    name = "booking.nearest"
    back_to = "booking.day"

    def enter(self, turn: Turn) -> None:
        zone = zone_of(turn) or "UTC"
        starts = [slot_start(s) for s in progress(turn).nearest or []]
        if not starts:
            turn.go("booking.day")
            return
        options = [Choice(slot_id(s), turn.t.shape(f"{short_day(s, zone, turn.lang)}, "
                                                   f"{short_time(s, zone, turn.lang)}"))
                   for s in starts]
        options.append(turn.option("day", "booking.time.other_day"))
        turn.ask(turn.t("booking.nearest.prompt", zone=zone_name(zone, turn.lang, starts[0])),
                 options)

    def handle(self, turn: Turn) -> None:
        if turn.choice and turn.choice.startswith("slot:"):
            take(turn, slot_start(turn.choice))
        elif turn.choice == "day":
            turn.go("booking.day")
        else:
            turn.stay("common.choose_option")


# --- confirming -----------------------------------------------------------------------


class Confirm(State):
    """The held time, to confirm; confirming books it (or moves the booking) once."""

    name = "booking.confirm"

    def enter(self, turn: Turn) -> None:
        state = progress(turn)
        zone = zone_of(turn)
        if state.slot is None or zone is None:
            turn.go("booking.day")
            return
        settings = turn.runtime.settings
        start = slot_start(state.slot)
        end = start + timedelta(minutes=settings.booking_slot_minutes)
        values = {"when": when_text(start, end, zone, turn.lang),
                  "zone": zone_name(zone, turn.lang, start),
                  "minutes": turn.t.count("count.minutes", settings.booking_slot_minutes),
                  "hold": turn.t.count("count.minutes", settings.booking_hold_minutes)}
        old = the_booking(turn, moving(turn))
        if old is not None:
            values["old"] = describe(turn, old)[0]
            text = turn.t("booking.confirm.prompt_move", **values)
        else:
            text = turn.t("booking.confirm.prompt", **values)
        turn.ask(text, [turn.option("confirm", "booking.confirm.yes"),
                        turn.option("other", "booking.confirm.other"),
                        turn.option("stop", "booking.confirm.stop")])

    def handle(self, turn: Turn) -> None:
        if turn.choice == "confirm":
            confirm(turn)
        elif turn.choice == "other":
            self.back(turn)
        elif turn.choice == "stop":
            release(turn)
            moved = moving(turn)
            turn.data.end_booking()
            turn.say("booking.stopped_move" if moved else "booking.stopped")
            turn.go("menu")
        else:
            turn.stay("common.choose_option")

    def back(self, turn: Turn) -> None:
        release(turn)
        turn.go("booking.time" if progress(turn).day is not None else "booking.day")


def confirm(turn: Turn) -> None:
    """Book (or move to) the held time; a lost race gets the nearest free times."""
    state = progress(turn)
    settings = turn.runtime.settings
    conversation = turn.conversation
    assert conversation.id is not None and conversation.timezone is not None
    assert state.slot is not None and state.request is not None  # held before confirming
    start = slot_start(state.slot)
    request_key = f"{conversation.id}:{state.request}"
    moved = moving(turn)
    try:
        if moved is not None:
            booking = service.reschedule(
                turn.session, settings, turn.now, booking_id=moved,
                conversation_id=conversation.id, start=start, request_key=request_key,
                preferred_consultant_id=state.consultant)
        else:
            booking = service.book(
                turn.session, settings, turn.now, conversation_id=conversation.id, start=start,
                request_key=request_key, channel=conversation.channel,
                language=turn.lang,
                applicant_timezone=conversation.timezone, case_id=turn.data.case_id,
                preferred_consultant_id=state.consultant)
    except SlotTaken as taken:
        release(turn)
        offer_nearest(turn, taken)
        return
    except NotBookable:
        release(turn)  # the held time is nobody's now: free it for others at once
        turn.data.end_booking()
        turn.say("booking.move_gone")
        turn.go("menu")
        return
    turn.data.end_booking()
    confirm_booking(turn.session, turn.runtime, booking, turn.now, moved_from=moved)
    when, zone = describe(turn, booking)
    turn.say("booking.moved" if moved is not None else "booking.confirmed", when=when, zone=zone)
    if booking.meeting_status in (MeetingStatus.PENDING, MeetingStatus.UPDATE):
        turn.say("booking.link_follows")
    else:
        if booking.meeting_status == MeetingStatus.NONE:
            turn.say("booking.link_by_team")
        turn.replies.append(calendar_document(booking, settings, turn.lang, turn.now))
    turn.go("menu")


# --- the person's booking -------------------------------------------------------------


class Mine(State):
    """The person's upcoming consultation: see it, move it, cancel it, get the calendar."""

    name = "booking.mine"

    def enter(self, turn: Turn) -> None:
        upcoming = service.upcoming_for(turn.session, turn.conversation_id, turn.now)
        if not upcoming:
            turn.data.end_booking()
            turn.say("booking.none")
            turn.go("menu")
            return
        booking = upcoming[0]
        turn.data.booking = BookingProgress(mine=booking.id)
        when, zone = describe(turn, booking)
        lines = [turn.t("booking.mine.summary", when=when, zone=zone)]
        if booking.join_url:
            lines.append(turn.t("booking.link.join", url=booking.join_url))
        elif booking.meeting_status in (MeetingStatus.NONE, MeetingStatus.FAILED):
            lines.append(turn.t("booking.link_by_team"))
        else:
            lines.append(turn.t("booking.mine.link_pending"))
        turn.ask("\n".join(lines), [turn.option("move", "booking.mine.move"),
                                    turn.option("cancel", "booking.mine.cancel"),
                                    turn.option("calendar", "booking.mine.calendar"),
                                    turn.option("menu", "common.menu")])

    def handle(self, turn: Turn) -> None:
        booking = the_booking(turn, progress(turn).mine)
        if booking is None:
            self.enter(turn)
        elif turn.choice == "move":
            turn.data.booking = BookingProgress(move_id=booking.id)
            turn.go("booking.start")
        elif turn.choice == "cancel":
            turn.go("booking.cancel")
        elif turn.choice == "calendar":
            turn.replies.append(calendar_document(booking, turn.runtime.settings, turn.lang,
                                                  turn.now))
            turn.go("menu")
        elif turn.choice == "menu":
            turn.go("menu")
        else:
            turn.stay("common.choose_option")


class Cancel(State):
    """Are you sure? Cancelling happens at once; the reason is asked afterwards."""

    name = "booking.cancel"
    back_to = "booking.mine"

    def enter(self, turn: Turn) -> None:
        booking = the_booking(turn, progress(turn).mine)
        if booking is None:
            turn.go("booking.mine")
            return
        when, zone = describe(turn, booking)
        turn.ask(turn.t("booking.cancel.prompt", when=when, zone=zone),
                 [turn.option("yes", "booking.cancel.yes"),
                  turn.option("no", "booking.cancel.no")])

    def handle(self, turn: Turn) -> None:
        booking = the_booking(turn, progress(turn).mine)
        if booking is None:
            turn.go("booking.mine")
        elif turn.choice == "yes":
            assert booking.id is not None
            cancelled = cancel_booking(turn.session, turn.runtime, booking.id, turn.now,
                                       by="applicant")
            when, zone = describe(turn, cancelled)
            turn.say("booking.cancel.done", when=when, zone=zone)
            turn.replies.append(calendar_document(cancelled, turn.runtime.settings, turn.lang,
                                                  turn.now))
            turn.data.booking = BookingProgress(cancelled=booking.id)
            turn.go("booking.cancel_reason")
        elif turn.choice == "no":
            turn.say("booking.cancel.kept")
            turn.go("booking.mine")
        else:
            turn.stay("common.choose_option")


class CancelReason(State):
    """Optional: why the person cancelled (stored encrypted, for the team)."""

    name = "booking.cancel_reason"

    def enter(self, turn: Turn) -> None:
        turn.ask(turn.t("booking.cancel.reason_prompt"),
                 [turn.option("skip", "booking.cancel.skip")])

    def handle(self, turn: Turn) -> None:
        booking_id = progress(turn).cancelled
        turn.data.end_booking()
        if turn.choice != "skip" and turn.text and booking_id is not None:
            booking = turn.session.get(Booking, booking_id)
            if booking is not None and booking.conversation_id == turn.conversation.id:
                reason = " ".join(turn.text.split())[:REASON_MAX]
                booking.cancel_reason_enc = turn.runtime.cipher.encrypt(reason)
                turn.session.add(booking)
                turn.say("booking.cancel.thanks")
        turn.go("menu")


# --- "delete my data" -----------------------------------------------------------------


def erase_bookings(turn: Turn) -> None:
    """Cancel the person's upcoming consultations and drop what they told us about them."""
    conversation_id = turn.conversation.id
    assert conversation_id is not None
    service.release_holds(turn.session, conversation_id)
    for booking in service.upcoming_for(turn.session, conversation_id, turn.now):
        assert booking.id is not None
        cancel_booking(turn.session, turn.runtime, booking.id, turn.now, by="erasure")
    for booking in turn.session.exec(
        select(Booking).where(Booking.conversation_id == conversation_id)
    ).all():
        booking.cancel_reason_enc = None
        turn.session.add(booking)
        withdraw_waiting(turn.session, booking.id)


ERASERS.append(erase_bookings)
