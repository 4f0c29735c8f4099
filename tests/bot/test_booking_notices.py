"""How a consultation's time reads in each language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.notices.booking_notices import when_text

START, END = datetime(2026, 3, 4, 10, 0, tzinfo=UTC), datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "zone", "expected"),
    [
        ("en", "Europe/London", "Wednesday, March 4, 2026, 10:00\u202fAM – 10:30\u202fAM"),
        ("ru", "Europe/Moscow", "среда, 4 марта 2026\u202fг., 13:00 – 13:30"),
        ("ar", "Asia/Riyadh", "الأربعاء، 4 مارس 2026، 1:00 م – 1:30 م"),
    ],
)
def test_date_and_hours_are_joined_as_the_language_does(lang: str, zone: str,
                                                        expected: str) -> None:
    assert when_text(START, END, zone, lang) == expected
