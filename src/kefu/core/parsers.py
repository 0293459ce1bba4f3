"""The API's request parser: DRF's JSON parser minus the inputs that would be a 500."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

from kefu.core.errors import ValidationFailed

MAX_JSON_DEPTH = 32  # our deepest body (products[0].…) is three levels; thousands is an attack


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what it would let through to a server error.

    JSON nested thousands deep makes the decoder raise RecursionError (not ValueError, so
    DRF passes it on as a 500); a lone surrogate ("\\ud800" is valid JSON) decodes to a str
    that no database, log or JSON response can encode. Both are a 400 here, before any
    serializer sees the data: the surrogate as a validation error naming its field.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_too_deep()) from None
        _check_decoded(data)
        return data


def _too_deep() -> str:
    return _("JSON parse error - nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _check_decoded(data: object) -> None:
    """Walk the decoded body without recursion: bounded depth, no lone surrogates."""
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(_too_deep())
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                field = where or "__all__"
                raise ValidationFailed.for_fields(
                    {field: [_("Contains an invalid character (a lone UTF-16 surrogate).")]}
                ) from None
        elif isinstance(value, dict):
            for key, item in value.items():
                name = _printable(f"{where}.{key}" if where else key)
                stack.append((key, name, depth + 1))
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
