"""Finding timestamps: ISO-8601 and Inspector2's own spellings, read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

_TIME_FORMATS = (
    "%a %b %d %H:%M:%S.%f %Z %Y",
    "%a %b %d %H:%M:%S %Z %Y",
    "%b %d, %Y, %I:%M:%S %p",
    "%b %d, %Y, %I:%M:%S.%f %p",
)


def canonical_time(text: str) -> str:
    """A timestamp in one spelling, ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds).

    Accepts ISO-8601 and both Inspector2 formats (``Wed Sep 04 16:59:44.356 UTC 2024``,
    ``Mar 20, 2023, 6:08:05 PM``); text that is none of these is returned stripped, unchanged.
    """
    parsed = parse_time(text)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else text.strip()


def parse_time(text: str) -> datetime | None:
    """Parse an ISO-8601 or Inspector2 timestamp as an aware UTC datetime, or ``None``."""
    parsed = _parse_any(text.strip())
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _parse_any(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None
