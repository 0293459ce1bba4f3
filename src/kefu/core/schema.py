"""The OpenAPI schema generator: drf-spectacular's, telling clients which fields can be null.

drf-spectacular marks a field nullable only when the serializer field says `allow_null`.
Read fields often reach through a relation that may be missing (`source="order_type.name"`
with `default=None`, or a declared `SlugRelatedField` on a nullable foreign key): the API
answers null there, and a schema that says "string" makes every generated client (and
schemathesis' response check) fail on a valid answer. Fixed here once, for every serializer.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


def can_be_null(field: serializers.Field) -> bool:
    """Whether a read field may render None: null allowed, a None default, or a source
    passing through a nullable model field."""
    if getattr(field, "allow_null", False) or field.default is None:
        return True
    if not field.source or field.source == "*":
        return False  # unbound, or the whole object
    if isinstance(field, serializers.SerializerMethodField):
        return False
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ListSerializer):
        parent = parent.parent
    model = getattr(getattr(parent, "Meta", None), "model", None)
    for attr in field.source.split("."):
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False  # a property or method: its annotation is the field's business
        if getattr(model_field, "null", False):
            return True
        model = getattr(model_field, "related_model", None)
    return False


class AutoSchema(SpectacularAutoSchema):
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and isinstance(field, serializers.Field) and can_be_null(field):
            meta["nullable"] = True
        return meta
