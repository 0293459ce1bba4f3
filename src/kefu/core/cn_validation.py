"""Validation of Chinese identity and contact data (pure: no Django imports).

- Resident ID numbers: 18 characters per GB 11643-1999; the last is an ISO 7064 MOD 11-2
  check character (0-9 or X). Digits 7-14 are the birth date.
- Mainland mobile numbers: 11 digits starting 13-19; a +86 / 0086 prefix is accepted.
- Landlines: area code (010, 02x, or 0 + 3 digits) followed by a 7- or 8-digit number.

Each validator returns the normalised value or raises `InvalidValue` whose `reason` is a
short English msgid the caller translates.
"""

from __future__ import annotations

import datetime as dt
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^(010|02\d|0[3-9]\d{2})(\d{7,8})$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidValue(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Validate an 18-digit resident ID number and return it upper-cased."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        raise InvalidValue("must be 18 characters")
    if not _ID_RE.match(value):
        raise InvalidValue("must be 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidValue("invalid birth date") from None
    if birth.year < 1900 or birth > (today or dt.date.today()):
        raise InvalidValue("invalid birth date")
    if id_check_char(value[:17]) != value[17]:
        raise InvalidValue("wrong check digit")
    return value


def _digits(value: str) -> str:
    value = _SEPARATORS.sub("", (value or "").strip())
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def normalize_mobile(value: str) -> str:
    digits = _digits(value)
    if not _MOBILE_RE.match(digits):
        raise InvalidValue("not a valid mainland mobile number")
    return digits


def normalize_landline(value: str) -> str:
    """Return a landline as '<area>-<number>', e.g. '010-12345678'."""
    digits = _digits(value)
    match = _LANDLINE_RE.match(digits)
    if not match:
        raise InvalidValue("not a valid landline with area code")
    return f"{match.group(1)}-{match.group(2)}"


def normalize_phone(value: str) -> str:
    """A mobile or a landline, whichever the value is."""
    digits = _digits(value)
    if digits.startswith("1"):
        return normalize_mobile(digits)
    if digits.startswith("0"):
        return normalize_landline(digits)
    raise InvalidValue("not a valid phone number")


def phone_search_key(value: str) -> str:
    """The digits a stored phone is indexed by (landline dash removed)."""
    return _digits(value).replace("-", "")
