"""Validation of detector options shared by the detectors (clear errors for bad values)."""

from __future__ import annotations

from facedetect.errors import InvalidInput


def positive_int_or_none(name: str, value: int | None, *, minimum: int = 1) -> int | None:
    """Return ``value`` if it is ``None`` or an int ``>= minimum``; raise ``InvalidInput`` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{name} must be a whole number of at least {minimum}, not {value!r}.")
    return value


def size_or_none(name: str, value: int | tuple[int, int] | None) -> tuple[int, int] | None:
    """Accept ``N`` (a square) or ``(width, height)``; ``None`` means no bound."""
    if value is None:
        return None
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in pair):
        raise InvalidInput(f"{name} must be a positive size in pixels, not {value!r}.")
    return (pair[0], pair[1])


def float_in_range(name: str, value: float, *, low: float, high: float) -> float:
    """Return ``value`` as a float if ``low <= value <= high``; raise ``InvalidInput`` otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number, not {value!r}.") from None
    if not low <= number <= high:  # also false for NaN
        raise InvalidInput(f"{name} must be at least {low} and at most {high}, not {value!r}.")
    return number
