"""Reference data kept per process: configuration every request reads, admins rarely edit.

Taking in a work order reads its type and business line, the time-limit policies, the
dispatch rules and the complaint settings: five queries of configuration for three rows
of the order itself. A `ProcessCached` loader keeps its result in this process for
`seconds`. A save or delete of one of its models in this process drops it at once;
other processes (gunicorn workers, the Huey consumer) pick the edit up within `seconds`,
which the admin guide states. Queryset `.update()` sends no signal: code that edits
these models that way must call `forget_all()`.

Cached rows are shared by every request of the process: read them, never change them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

DEFAULT_SECONDS = 60
_registry: list[ProcessCached] = []


class ProcessCached(Generic[T]):
    def __init__(self, load: Callable[[], T], *, models: tuple, seconds: float = DEFAULT_SECONDS):
        self.load, self.seconds = load, seconds
        self._value: tuple[float, T] | None = None
        self._lock = threading.Lock()
        for model in models:
            uid = f"refcache:{load.__module__}.{load.__qualname__}:{model._meta.label}"
            post_save.connect(self.forget, sender=model, dispatch_uid=f"{uid}:save")
            post_delete.connect(self.forget, sender=model, dispatch_uid=f"{uid}:delete")
        _registry.append(self)

    def __call__(self) -> T:
        hit = self._value
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        with self._lock:
            value = self.load()
            self._value = (time.monotonic(), value)
        return value

    def forget(self, **kwargs) -> None:
        self._value = None


def process_cached(*, models: tuple, seconds: float = DEFAULT_SECONDS):
    """Decorator form: `@process_cached(models=(SlaPolicy,))` over a loader."""

    def wrap(load: Callable[[], T]) -> ProcessCached[T]:
        return ProcessCached(load, models=models, seconds=seconds)

    return wrap


def forget_all() -> None:
    """Drop every cached value of this process (tests between rolled-back transactions)."""
    for cached in _registry:
        cached.forget()
