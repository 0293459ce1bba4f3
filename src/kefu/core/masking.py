"""Masking of personal data for display (pure)."""

from __future__ import annotations


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; 010-****5678 for landlines."""
    if not value:
        return ""
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_email(value: str) -> str:
    """z***@example.cn: the first letter and the domain kept."""
    if not value:
        return ""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_address(value: str) -> str:
    """An e-mail address or a phone number, each masked its own way."""
    return mask_email(value) if "@" in value else mask_phone(value)


def mask_id_number(value: str) -> str:
    """110101********123X: region kept, birth date and sequence hidden."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"
