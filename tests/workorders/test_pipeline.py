"""The work-order pipeline: nothing runs from signals, and its steps run in the order
its module documents."""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest
from django.db.models import signals

from kefu.workorders import pipeline
from kefu.workorders.models import WorkOrder, WorkOrderEvent

_MODEL_SIGNALS = (
    signals.pre_init,
    signals.post_init,
    signals.pre_save,
    signals.post_save,
    signals.pre_delete,
    signals.post_delete,
    signals.m2m_changed,
)


@pytest.mark.parametrize("model", [WorkOrder, WorkOrderEvent])
def test_no_receiver_listens_to_work_orders_or_their_events(model):
    listening = [
        signal
        for signal in _MODEL_SIGNALS
        if signal.has_listeners(model)
        # has_listeners also counts receivers of every sender; none is connected.
    ]
    assert listening == []


@pytest.mark.parametrize("module", ["kefu.workorders.signals", "kefu.outages.signals"])
def test_the_old_work_order_and_outage_signals_are_gone(module):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)


def _documented_steps() -> list[str]:
    """The steps the module docstring lists under "After every action", by number."""
    doc = pipeline.__doc__
    after = doc[doc.index("After every action") :]
    return re.findall(r"^(\d)\. (\w+)", after, flags=re.M)


def _step_numbers(function) -> list[int]:
    """The step numbers written beside the calls of `function`, in source order."""
    source = inspect.getsource(function)
    return [int(n) for n in re.findall(r"# (\d)\. ", source)]


def test_the_documented_steps_are_the_five_the_issue_names():
    names = [name.lower() for _, name in _documented_steps()]
    assert names == ["sla", "complaint", "outage", "notifications", "callbacks"]


@pytest.mark.parametrize(
    "function", [pipeline.intake_prepare, pipeline.intake_done, pipeline.action_done]
)
def test_each_pipeline_function_runs_its_steps_in_the_documented_order(function):
    numbers = _step_numbers(function)
    assert numbers, f"{function.__name__} names no step"
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_every_work_order_write_service_goes_through_the_pipeline():
    """Every place the services save an order in a new state runs the pipeline after it."""
    from kefu.workorders import actions, services

    source = inspect.getsource(services) + "\n" + inspect.getsource(actions)
    tree = ast.parse(source)
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pipeline"
    }
    assert calls == {"intake_prepare", "intake_done", "action_done", "correction_done"}
