"""The OpenAPI schema generator: drf-spectacular's, telling clients which fields can be null.

drf-spectacular marks a field nullable only when the serializer field says `allow_null`.
Read fields often reach through a relation that may be missing (`source="order_type.name"`
with `default=None`, or a declared `SlugRelatedField` on a nullable foreign key): the API
answers null there, and a schema that says "string" makes every generated client (and
schemathesis' response check) fail on a valid answer. Fixed here once, for every serializer.
"""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


def _source_path(field: serializers.Field) -> list:
    """The model fields a read field's source passes through, as far as they are fields."""
    if not field.source or field.source == "*":
        return []  # unbound, or the whole object
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ListSerializer):
        parent = parent.parent
    model = getattr(getattr(parent, "Meta", None), "model", None)
    path = []
    for attr in field.source.split("."):
        if model is None:
            break
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            break  # a property or method: its annotation is the field's business
        path.append(model_field)
        model = getattr(model_field, "related_model", None)
    return path


def can_be_null(field: serializers.Field) -> bool:
    """Whether a read field may render None: null allowed, a None default, or a source
    passing through a nullable model field."""
    if getattr(field, "allow_null", False) or field.default is None:
        return True
    if isinstance(field, serializers.SerializerMethodField):
        return False
    return any(getattr(f, "null", False) for f in _source_path(field))


def can_be_blank(field: serializers.Field) -> bool:
    """Whether a read choice field may render "": DRF drops `allow_blank` from read-only
    model fields, though a blank=True column (e.g. "any channel") holds ""."""
    if field.allow_blank:
        return True
    path = _source_path(field)
    return bool(path) and path[-1].name == field.source.split(".")[-1] and path[-1].blank


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if (
            direction == "response"
            and isinstance(field, serializers.ChoiceField)
            and not isinstance(field, serializers.MultipleChoiceField)
            and can_be_blank(field)
            and not field.allow_blank
        ):
            field = copy.copy(field)  # fields may be shared (ReusedFieldsMixin)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and isinstance(field, serializers.Field) and can_be_null(field):
            meta["nullable"] = True
        return meta
