"""Business-time arithmetic on cn-standard: due-time computations per second on one core.

Prints the figure and its ratio to plain `datetime + timedelta` over the same inputs,
measured in the same run. Target: ≥ 100,000 computations per second.

    .venv/bin/python bench/business_time.py [--n 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from chinese_calendar.constants import holidays, workdays

from kefu.calendars.business_time import SHANGHAI, BusinessCalendar, add_business_minutes

TARGET = 100_000


def inputs(n: int, seed: int = 7) -> list[tuple[dt.datetime, int]]:
    rng = random.Random(seed)
    base = dt.datetime(2025, 1, 1, tzinfo=SHANGHAI)
    # Starts spread over 2025 at any minute; limits from 30 minutes to three working days,
    # as SLA clocks are (first contact 2 h, resolution 1–3 days).
    return [
        (
            base + dt.timedelta(minutes=rng.randrange(365 * 24 * 60)),
            rng.choice((30, 60, 120, 240, 480, 960, 1440)),
        )
        for _ in range(n)
    ]


def rate(fn, data) -> float:
    started = time.perf_counter()
    for start, minutes in data:
        fn(start, minutes)
    return len(data) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    n = parser.parse_args().n
    calendar = BusinessCalendar.standard(
        "cn-standard", holidays=holidays, workdays=workdays, years=range(2004, 2027)
    )
    data = inputs(n)
    ours = max(rate(lambda s, m: add_business_minutes(calendar, s, m), data) for _ in range(3))
    plain = max(rate(lambda s, m: s + dt.timedelta(minutes=m), data) for _ in range(3))
    verdict = "OK" if ours >= TARGET else "BELOW TARGET"
    print(f"cn-standard due times: {ours:,.0f}/s on one core (target ≥ {TARGET:,}/s) {verdict}")
    print(f"plain datetime + timedelta: {plain:,.0f}/s; ratio plain/ours {plain / ours:.1f}×")


if __name__ == "__main__":
    main()
