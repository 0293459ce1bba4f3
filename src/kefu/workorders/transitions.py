"""The work-order lifecycle in one table: which action moves which state where, and who may.

Pure: no database (Django only for the actions' translated labels). The services compute
the actor's *capacities* on one order (owner of record, handler, member of the handling
unit, dispatcher, supervisor …) and ask this module what follows. Every state × action
pair is in TABLE or deliberately absent; absent means "not allowed from here" and the
caller reports `allowed_actions()` to the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Action(TextChoices):
    """Everything that can happen to an order, as its timeline records it: the lifecycle
    actions of TABLE, intake and corrections. Members are strings ("dispatch")."""

    CREATE = "create", _("Accept")  # 受理
    DISPATCH = "dispatch", _("Dispatch")  # 派单
    ACCEPT = "accept", _("Take on")  # 接单
    TRANSFER = "transfer", _("Transfer")  # 转派
    RETURN = "return", _("Return")  # 退单
    SUSPEND = "suspend", _("Suspend")  # 挂起
    RESUME = "resume", _("Resume")  # 恢复
    CONTACT = "contact", _("Contact customer")  # 联系客户
    NOTE = "note", _("Add note")  # 备注
    RESOLVE = "resolve", _("Resolve")  # 处理完成
    REPLY = "reply", _("Reply to customer")  # 回复客户
    CLOSE = "close", _("Close")  # 归档
    CANCEL = "cancel", _("Cancel")  # 撤销
    URGE = "urge", _("Urge")  # 催办
    SUPERVISE = "supervise", _("Supervise")  # 督办
    ESCALATE = "escalate", _("Escalate")  # 升级
    REOPEN = "reopen", _("Reopen")  # 重新打开
    MERGE = "merge", _("Merge duplicate")  # 合并
    LINK = "link", _("Link order")  # 关联
    CO_HANDLE = "co_handle", _("Invite co-handling")  # 协办
    CO_HANDLE_DONE = "co_handle_done", _("Record co-handling part")  # 协办完成
    HAND_BACK = "hand_back", _("Hand back for leave")  # 休假交接
    CORRECT = "correct", _("Correct")  # 更正


class State(StrEnum):
    ACCEPTED = "accepted"  # 已受理
    DISPATCHED = "dispatched"  # 已派单
    IN_PROGRESS = "in_progress"  # 处理中
    SUSPENDED = "suspended"  # 挂起 (clocks paused)
    RESOLVED = "resolved"  # 已处理
    REPLIED = "replied"  # 已回复
    CLOSED = "closed"  # 已归档
    RETURNED = "returned"  # 退单 (back to the dispatch queue)
    CANCELLED = "cancelled"  # 已撤销
    REOPENED = "reopened"  # 重新打开


class Who(StrEnum):
    """Capacities an actor can hold on one order."""

    OWNER = "owner"  # the accepting agent, owner of record (首问负责人)
    HANDLER = "handler"  # the person the order is assigned to
    HANDLING_UNIT = "handling_unit"  # a handler in the unit the order is dispatched to
    CO_HANDLER = "co_handler"  # a handler in a unit invited to co-handle (协办)
    DISPATCHER = "dispatcher"  # 派单员 whose scope covers the order
    SUPERVISOR = "supervisor"  # 主管 whose scope covers the order
    VIEWER = "viewer"  # anyone who may see the order
    SYSTEM = "system"  # routing, the SLA monitor, outage restore


OPEN = frozenset(
    {
        State.ACCEPTED,
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.SUSPENDED,
        State.RETURNED,
        State.REOPENED,
    }
)
WAITING_DISPATCH = frozenset({State.ACCEPTED, State.RETURNED, State.REOPENED})
WORKING = frozenset({State.DISPATCHED, State.IN_PROGRESS})
DONE = frozenset({State.RESOLVED, State.REPLIED, State.CLOSED})
ALL = frozenset(State)

_O, _H, _U, _C = Who.OWNER, Who.HANDLER, Who.HANDLING_UNIT, Who.CO_HANDLER
_D, _S, _V, _SYS = Who.DISPATCHER, Who.SUPERVISOR, Who.VIEWER, Who.SYSTEM
_WORKERS = frozenset({_H, _U})
_MANAGERS = frozenset({_D, _S, _SYS})

STAY = None  # the action leaves the state as it is


@dataclass(frozen=True)
class Rule:
    moves: dict[State, State | None]  # from state → to state (STAY: unchanged)
    who: frozenset[Who]
    # Moves only some capacities may make, e.g. the system resolving a dispatched order
    # when a mass outage is restored.
    who_from: dict[State, frozenset[Who]] | None = None

    def permits(self, state: State, capacities: frozenset[Who]) -> bool:
        if state not in self.moves:
            return False
        who = (self.who_from or {}).get(state, self.who)
        return bool(who & capacities)


def _stay(states) -> dict[State, None]:
    return dict.fromkeys(states, STAY)


TABLE: dict[Action, Rule] = {
    # 派单: from the dispatch queue to a handling unit.
    Action.DISPATCH: Rule(dict.fromkeys(WAITING_DISPATCH, State.DISPATCHED), _MANAGERS),
    # 接单: the handling unit takes it on.
    Action.ACCEPT: Rule({State.DISPATCHED: State.IN_PROGRESS}, _WORKERS),
    # 转派: to another unit, with a reason.
    Action.TRANSFER: Rule(dict.fromkeys(WORKING, State.DISPATCHED), _WORKERS | _MANAGERS),
    # 退单: back to the dispatching side, with a reason.
    Action.RETURN: Rule(dict.fromkeys(WORKING, State.RETURNED), _WORKERS),
    # 挂起 / 恢复: the clocks pause while suspended.
    Action.SUSPEND: Rule({State.IN_PROGRESS: State.SUSPENDED}, _WORKERS | {_S}),
    Action.RESUME: Rule({State.SUSPENDED: State.IN_PROGRESS}, _WORKERS | {_S, _SYS}),
    # 联系客户: records first contact; a dispatched order is thereby taken on.
    Action.CONTACT: Rule(
        {
            State.ACCEPTED: STAY,
            State.DISPATCHED: State.IN_PROGRESS,
            State.IN_PROGRESS: STAY,
            State.SUSPENDED: STAY,
            State.REOPENED: STAY,
        },
        _WORKERS | {_O},
    ),
    # 备注: anyone who can see the order, at any time.
    Action.NOTE: Rule(_stay(ALL), frozenset({_V})),
    # 处理完成: by the handler; by the owner only at intake (first-contact resolution);
    # by the system from any open state when a mass outage is restored (bulk resolve).
    Action.RESOLVE: Rule(
        dict.fromkeys(OPEN, State.RESOLVED),
        _WORKERS | {_O, _SYS},
        who_from=dict.fromkeys(OPEN - {State.ACCEPTED, State.IN_PROGRESS}, frozenset({_SYS})),
    ),
    # 回复客户: the control side answers the customer.
    Action.REPLY: Rule({State.RESOLVED: State.REPLIED}, frozenset({_O, _D, _S})),
    # 归档: after the reply; by the system also straight after the resolution, when the
    # customer said at the callback 回访 that they are satisfied.
    Action.CLOSE: Rule(
        {State.REPLIED: State.CLOSED, State.RESOLVED: State.CLOSED},
        frozenset({_O, _D, _S, _SYS}),
        who_from={State.RESOLVED: frozenset({_SYS})},
    ),
    # 撤销: only before the work has started.
    Action.CANCEL: Rule(
        dict.fromkeys(WAITING_DISPATCH | {State.DISPATCHED}, State.CANCELLED), {_O, _S}
    ),
    # 催办 / 督办 / 升级: pressure on an open order.
    Action.URGE: Rule(_stay(OPEN), frozenset({_O, _D, _S})),
    Action.SUPERVISE: Rule(_stay(OPEN), frozenset({_S})),
    Action.ESCALATE: Rule(_stay(OPEN), _WORKERS | {_O, _S, _SYS}),
    # 重新打开: the customer is not satisfied after all.
    Action.REOPEN: Rule(dict.fromkeys(DONE, State.REOPENED), frozenset({_O, _S, _SYS})),
    # 合并: a duplicate is merged into another order and leaves the queues.
    Action.MERGE: Rule(dict.fromkeys(OPEN - {State.SUSPENDED}, State.CANCELLED), {_O, _D, _S}),
    # 关联: a related order, any time.
    Action.LINK: Rule(_stay(ALL - {State.CANCELLED}), frozenset({_O, _H, _U, _D, _S})),
    # 协办: the lead unit invites units; each records its part.
    Action.CO_HANDLE: Rule(_stay(WORKING), _WORKERS | {_S}),
    Action.CO_HANDLE_DONE: Rule(_stay(OPEN), frozenset({_C})),
    # 休假交接: the handler goes on leave; the order goes back to the unit's queue (or to a
    # named colleague), to be taken on again. Only as part of putting someone on leave.
    Action.HAND_BACK: Rule({**_stay(OPEN), **dict.fromkeys(WORKING, State.DISPATCHED)}, {_SYS}),
}
TABLE = {name: Rule(r.moves, frozenset(r.who), r.who_from) for name, r in TABLE.items()}
ACTIONS = tuple(TABLE)  # the lifecycle actions, in table order


def action_label(action: str) -> str:
    """The translated name of an action, or the string itself if it names none."""
    return str(Action(action).label) if action in Action.values else action


class ActionNotAllowed(Exception):
    """The action is not possible from this state or not for this actor."""

    def __init__(self, action: str, state: State, allowed: list[str]):
        self.action, self.state, self.allowed = action, state, allowed
        super().__init__(f"{action} not allowed from {state}; allowed: {', '.join(allowed)}")


def allowed_actions(state: State | str, capacities) -> list[str]:
    """The actions `capacities` may take on an order in `state`, in table order.

    Everyone who may see an order holds VIEWER besides their other capacities."""
    state, caps = State(state), frozenset(capacities)
    return [str(name) for name, rule in TABLE.items() if rule.permits(state, caps)]


def next_state(state: State | str, action: str, capacities) -> State:
    """The state after `action`, or ActionNotAllowed naming what is allowed instead."""
    state, caps = State(state), frozenset(capacities)
    rule = TABLE.get(action)
    if rule is None or not rule.permits(state, caps):
        raise ActionNotAllowed(action, state, allowed_actions(state, caps))
    target = rule.moves[state]
    return state if target is STAY else target
