"""Phone numbers as the SMS gateway and our records write them."""

from __future__ import annotations

import re


def normalised_phone(phone: str) -> str:
    """A mobile number as the gateway and our records may write it: digits only, without
    the +86 / 0086 country prefix."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def is_mobile(phone: str) -> bool:
    return re.fullmatch(r"1\d{10}", phone or "") is not None
