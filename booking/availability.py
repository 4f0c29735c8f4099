"""Free consultation slots from weekly hours, date overrides and busy times; pure and DST-safe.

Rules this module fixes (the bot, the dashboard and the booking re-check all rely on them):

* Hours are local wall time in the consultant's zone and stay so across DST changes:
  09:00 in Europe/London is 09:00 BST in summer and 09:00 GMT in winter. Each window
  edge is converted on its own date with that date's zone rules (never with an offset
  sampled once, e.g. at ``now`` or at midnight).
* A wall time that does not exist (spring-forward gap) resolves to the first instant
  that exists after it; a repeated wall time (fall-back) resolves to its first
  occurrence (fold=0). This applies to window starts and ends alike, so a window is the
  real stretch of time between its two edges (a window can gain or lose the DST hour).
* Candidate grid: in each window (touching or overlapping windows of a day merged first)
  slots start at the window's start and then every ``duration + buffer`` of elapsed
  time, as long as the slot ends by the window's end. The step includes the buffer so
  that all offered slots of an idle day can be booked one after another. Stepping in
  elapsed time (not wall time) means a repeated hour never yields a slot twice.
* A slot is free for a consultant when it keeps at least ``buffer`` away from each of
  their busy intervals on both sides (touching the buffer edge is fine), fewer than
  ``daily_limit`` of their counted busy intervals (bookings and holds, not the busy
  times of their own calendar) start on the slot's local day, it starts no
  earlier than ``now + min_notice`` and no later than ``now + horizon``. Notice and
  horizon are elapsed time added to ``now`` (a UTC instant), never local calendar
  arithmetic.
* A slot is offered when any consultant is free for it; it lists all of them, least
  loaded first (counted busy intervals on that local day, then overall, then id).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Busy",
    "ConsultantSchedule",
    "DateOverride",
    "Slot",
    "SlotRules",
    "WeeklyWindow",
    "free_slots",
    "is_slot_free",
    "resolve_wall_time",
]

Window = tuple[time, time]


def _check_window(start: time, end: time) -> None:
    if not isinstance(start, time) or not isinstance(end, time):
        raise ValueError("window edges must be datetime.time values")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("window edges are local wall times and must not carry a tzinfo")
    if end <= start:
        raise ValueError(
            f"window {start:%H:%M}-{end:%H:%M} must end after it starts "
            "(overnight windows are not supported: split them at midnight)"
        )


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True)
class WeeklyWindow:
    """Recurring working hours on one weekday (0=Monday) in the consultant's local wall time.

    ``end`` must be after ``start``: windows never run past midnight. Hours that cross
    midnight are two windows, one on each weekday.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        _check_window(self.start, self.end)


@dataclass(frozen=True)
class DateOverride:
    """Hours for one local date replacing that weekday's hours; no windows means a day off."""

    day: date
    windows: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        windows = tuple((start, end) for start, end in self.windows)
        for start, end in windows:
            _check_window(start, end)
        object.__setattr__(self, "windows", windows)


@dataclass(frozen=True)
class ConsultantSchedule:
    """A consultant's availability: IANA time zone, weekly hours and per-date overrides."""

    consultant_id: int
    timezone: str
    weekly: tuple[WeeklyWindow, ...]
    overrides: tuple[DateOverride, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        object.__setattr__(self, "weekly", tuple(self.weekly))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        days = [o.day for o in self.overrides]
        if len(days) != len(set(days)):
            raise ValueError(f"consultant {self.consultant_id} has two overrides for one date")


@dataclass(frozen=True)
class Busy:
    """A booking, hold or calendar event of one consultant, as aware instants; ``end``
    after ``start``. ``counts`` is False for time that blocks slots but is no consultation
    (an event of the consultant's own calendar): it is not counted against the daily limit
    or the load."""

    consultant_id: int
    start: datetime
    end: datetime
    counts: bool = True

    def __post_init__(self) -> None:
        _require_aware("Busy.start", self.start)
        _require_aware("Busy.end", self.end)
        if self.end <= self.start:
            raise ValueError("Busy.end must be after Busy.start")


@dataclass(frozen=True)
class SlotRules:
    """Slot length, gap kept around busy times, notice, horizon and bookings per local day."""

    duration: timedelta
    buffer: timedelta
    min_notice: timedelta
    horizon: timedelta
    daily_limit: int

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        for name in ("buffer", "min_notice", "horizon"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative")
        if self.daily_limit < 0:
            raise ValueError("daily_limit must not be negative")

    @property
    def step(self) -> timedelta:
        """Distance between candidate starts within a window: ``duration + buffer``."""
        return self.duration + self.buffer


@dataclass(frozen=True)
class Slot:
    """A bookable interval (aware UTC) and the consultants free for it, least loaded first."""

    start: datetime
    end: datetime
    consultant_ids: tuple[int, ...] = field(default=())


# --- wall time to instants -------------------------------------------------------------


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def resolve_wall_time(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``wall`` on ``day`` in ``zone``.

    A repeated wall time gives its first occurrence; a skipped one gives the first
    instant that exists after it (the moment the clocks jumped).
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == naive:
        return first
    # In a gap the two folds land on both sides of the transition; find it to the second.
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = math.floor(min(first, other).timestamp())  # wall time still before `naive`
    high = math.ceil(max(first, other).timestamp())  # wall time already past `naive`
    while high - low > 1:
        mid = (low + high) // 2
        if _wall(datetime.fromtimestamp(mid, UTC), zone) > naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


# --- per-consultant preparation --------------------------------------------------------


class _Calendar:
    """One consultant's hours by weekday/date plus their busy times, ready for lookups."""

    def __init__(
        self,
        schedule: ConsultantSchedule,
        busy: Iterable[tuple[datetime, datetime, bool]],
        buffer: timedelta,
    ) -> None:
        self.consultant_id = schedule.consultant_id
        self.zone = ZoneInfo(schedule.timezone)
        by_weekday: list[list[Window]] = [[] for _ in range(7)]
        for window in schedule.weekly:
            by_weekday[window.weekday].append((window.start, window.end))
        self.weekly = tuple(_merge(day) for day in by_weekday)
        self.overrides = {o.day: _merge(o.windows) for o in schedule.overrides}

        intervals = sorted(busy)
        self.per_day: dict[date, int] = defaultdict(int)
        self.total = 0
        for start, _, counts in intervals:
            if counts:
                self.per_day[start.astimezone(self.zone).date()] += 1
                self.total += 1
        # Busy intervals widened by the buffer and merged: sorted, disjoint, so ends are
        # sorted too and one bisect finds the only interval that can clash with a slot.
        self.block_starts: list[datetime] = []
        self.block_ends: list[datetime] = []
        for start, end, _ in intervals:
            low, high = start - buffer, end + buffer
            if self.block_ends and low <= self.block_ends[-1]:
                self.block_ends[-1] = max(self.block_ends[-1], high)
            else:
                self.block_starts.append(low)
                self.block_ends.append(high)

    def windows_on(self, day: date) -> tuple[Window, ...]:
        override = self.overrides.get(day)
        return override if override is not None else self.weekly[day.weekday()]

    def is_blocked(self, start: datetime, end: datetime) -> bool:
        index = bisect.bisect_right(self.block_ends, start)
        return index < len(self.block_starts) and self.block_starts[index] < end

    def free_starts(
        self, rules: SlotRules, earliest: datetime, latest: datetime, stop: datetime | None
    ) -> Iterator[tuple[datetime, date]]:
        """Free slot starts ``s`` with ``earliest <= s <= latest`` (and ``s < stop``), in order.

        Yields each start with its local date (the day the daily limit counts against).
        """
        if latest < earliest or rules.daily_limit == 0:
            return
        step, duration = rules.step, rules.duration
        day = earliest.astimezone(self.zone).date() - timedelta(days=1)
        upper = latest if stop is None else min(latest, stop)
        last_day = upper.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last_day:
            for wall_start, wall_end in self.windows_on(day):
                window_start = resolve_wall_time(day, wall_start, self.zone)
                window_end = resolve_wall_time(day, wall_end, self.zone)
                # First grid point not before `earliest` (ceil division on timedeltas).
                first = max(0, -((window_start - earliest) // step))
                slot_start = window_start + first * step
                while slot_start + duration <= window_end and slot_start <= latest:
                    if stop is not None and slot_start >= stop:
                        break
                    local_day = slot_start.astimezone(self.zone).date()
                    if self.per_day.get(local_day, 0) < rules.daily_limit and not (
                        self.is_blocked(slot_start, slot_start + duration)
                    ):
                        yield slot_start, local_day
                    slot_start += step
            day += timedelta(days=1)


def _group_busy(busy: Iterable[Busy]) -> dict[int, list[tuple[datetime, datetime, bool]]]:
    grouped: dict[int, list[tuple[datetime, datetime, bool]]] = defaultdict(list)
    for item in busy:
        grouped[item.consultant_id].append(
            (item.start.astimezone(UTC), item.end.astimezone(UTC), item.counts))
    return grouped


def _bounds(
    rules: SlotRules, now: datetime, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime, datetime | None]:
    _require_aware("now", now)
    now = now.astimezone(UTC)
    earliest = now + rules.min_notice
    if start is not None:
        _require_aware("start", start)
        earliest = max(earliest, start.astimezone(UTC))
    stop = None
    if end is not None:
        _require_aware("end", end)
        stop = end.astimezone(UTC)
    return earliest, now + rules.horizon, stop


# --- public API ------------------------------------------------------------------------


def free_slots(
    schedules: Sequence[ConsultantSchedule],
    busy: Iterable[Busy],
    rules: SlotRules,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Slot]:
    """Every slot at least one consultant is free for, sorted and unique by start.

    ``start``/``end`` (aware) narrow the result to slots starting in ``[start, end)``,
    e.g. one local day; notice and horizon apply regardless. Busy intervals of
    consultants not in ``schedules`` are ignored. Raises ValueError on naive inputs.
    """
    earliest, latest, stop = _bounds(rules, now, start, end)
    ids = [s.consultant_id for s in schedules]
    if len(ids) != len(set(ids)):
        raise ValueError("each consultant may have only one schedule")
    grouped = _group_busy(busy)
    by_start: dict[datetime, list[tuple[int, int, int]]] = defaultdict(list)
    for schedule in schedules:
        calendar = _Calendar(schedule, grouped.get(schedule.consultant_id, ()), rules.buffer)
        for slot_start, local_day in calendar.free_starts(rules, earliest, latest, stop):
            load = (calendar.per_day.get(local_day, 0), calendar.total, calendar.consultant_id)
            by_start[slot_start].append(load)
    return [
        Slot(
            start=slot_start,
            end=slot_start + rules.duration,
            consultant_ids=tuple(load[2] for load in sorted(loads)),
        )
        for slot_start, loads in sorted(by_start.items())
    ]


def is_slot_free(
    schedule: ConsultantSchedule,
    busy: Iterable[Busy],
    rules: SlotRules,
    now: datetime,
    slot_start: datetime,
) -> bool:
    """Whether ``free_slots`` would offer ``slot_start`` with this consultant, re-checked now.

    Call it at booking time with current busy times; leave out the applicant's own hold
    on the slot, or it blocks itself.
    """
    _require_aware("slot_start", slot_start)
    target = slot_start.astimezone(UTC)
    earliest, latest, _ = _bounds(rules, now, target, None)
    mine = (
        (b.start.astimezone(UTC), b.end.astimezone(UTC), b.counts)
        for b in busy
        if b.consultant_id == schedule.consultant_id
    )
    calendar = _Calendar(schedule, mine, rules.buffer)
    stop = target + timedelta(microseconds=1)
    return any(s == target for s, _ in calendar.free_starts(rules, earliest, latest, stop))
