"""/api/v1/calendars/: the business calendars, their holiday table, business-time sums."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from kefu.calendars.business_time import CalendarYearMissing, add_business_minutes
from kefu.calendars.models import CalendarDay, DayKind
from kefu.calendars.selectors import CALENDAR_NAMES, business_calendar
from kefu.core.api import error_responses, flatten_errors
from kefu.core.errors import KefuError, NotFound, ValidationFailed


class CalendarYearMissingError(KefuError):
    code = "calendar_year_missing"


def year_missing(exc: CalendarYearMissing) -> CalendarYearMissingError:
    return CalendarYearMissingError(
        _(
            "Calendar %(calendar)s has no holiday data for %(year)s; import the State "
            "Council's notice for that year first."
        )
        % {"calendar": exc.calendar, "year": exc.year},
        extra={"calendar": exc.calendar, "year": exc.year},
    )


class BusinessTimeSerializer(serializers.Serializer):
    calendar = serializers.ChoiceField(choices=CALENDAR_NAMES)
    start = serializers.DateTimeField(default_timezone=dt.UTC)
    minutes = serializers.IntegerField(min_value=0, max_value=10_000_000)

    def validate_start(self, value: dt.datetime) -> dt.datetime:
        # Before 1970 Asia/Shanghai had local-mean-time offsets no client expects.
        if not 1970 <= value.year <= 9000:
            raise serializers.ValidationError(_("Enter a time between 1970 and 9000."))
        return value


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices)
    name = serializers.CharField(allow_blank=True)


class CalendarViewSet(viewsets.ViewSet):
    """Calendars by name: `24x7` and `cn-standard` (Chinese working days)."""

    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[a-z0-9-]+"

    @extend_schema(
        responses=inline_serializer(
            "Calendar",
            {"name": serializers.CharField(), "years": serializers.ListField()},
            many=True,
        )
    )
    def list(self, request):
        return Response([self._describe(name) for name in CALENDAR_NAMES])

    @extend_schema(
        responses={
            200: inline_serializer(
                "CalendarDetail",
                {
                    "name": serializers.CharField(),
                    "years": serializers.ListField(),
                    "days": DaySerializer(many=True),
                },
            ),
            **error_responses(404),
        }
    )
    def retrieve(self, request, pk=None):
        """The calendar with its holidays and make-up working days of `?year=` (this year)."""
        if pk not in CALENDAR_NAMES:
            raise NotFound()
        year_text = request.query_params.get("year") or str(dt.date.today().year)
        if not year_text.isdigit() or not 1900 <= int(year_text) <= 2200:
            raise ValidationFailed.for_fields({"year": [_("Enter a year such as 2026.")]})
        year = int(year_text)
        body = self._describe(pk)
        body["days"] = [] if pk == "24x7" else self._days(year)
        return Response(body)

    @extend_schema(
        request=BusinessTimeSerializer,
        responses={
            200: inline_serializer("Due", {"due": serializers.DateTimeField()}),
            **error_responses(400),
        },
    )
    @action(detail=False, methods=["post"], url_path="business-time")
    def business_time(self, request):
        """The due time `minutes` working minutes after `start` on `calendar` (+08:00)."""
        serializer = BusinessTimeSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationFailed.for_fields(flatten_errors(serializer.errors))
        data = serializer.validated_data
        try:
            due = add_business_minutes(
                business_calendar(data["calendar"]), data["start"], data["minutes"]
            )
        except CalendarYearMissing as exc:
            raise year_missing(exc) from None
        except OverflowError:
            raise ValidationFailed.for_fields({"minutes": [_("Too large.")]}) from None
        return Response({"due": due.isoformat()})

    @staticmethod
    def _describe(name: str) -> dict:
        calendar = business_calendar(name)
        return {"name": name, "years": sorted(calendar.years) if not calendar.always_open else []}

    @staticmethod
    def _days(year: int) -> list[dict]:
        calendar = business_calendar("cn-standard")
        named = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "name"))
        days = []
        first, last = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
        for ordinal in sorted(calendar.holidays | calendar.workdays):
            if first <= ordinal <= last:
                day = dt.date.fromordinal(ordinal)
                kind = DayKind.HOLIDAY if ordinal in calendar.holidays else DayKind.WORKDAY
                days.append({"date": day, "kind": kind, "name": named.get(day, "")})
        return DaySerializer(days, many=True).data
