"""The lifecycle table, exhaustively: every state × action × capacity."""

from __future__ import annotations

import itertools

import pytest

from kefu.workorders.transitions import (
    ACTIONS,
    ActionNotAllowed,
    State,
    Who,
    allowed_actions,
    next_state,
)

S = State
ac, di, ip, su, rs, rp, cl, rt, ca, ro = (
    S.ACCEPTED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.SUSPENDED,
    S.RESOLVED,
    S.REPLIED,
    S.CLOSED,
    S.RETURNED,
    S.CANCELLED,
    S.REOPENED,
)
OPEN = [ac, di, ip, su, rt, ro]

# The specification, written out by hand: action → {from: to}. "=" keeps the state.
EXPECTED: dict[str, dict[State, State | str]] = {
    "dispatch": {ac: di, rt: di, ro: di},
    "accept": {di: ip},
    "transfer": {di: di, ip: di},
    "return": {di: rt, ip: rt},
    "suspend": {ip: su},
    "resume": {su: ip},
    "contact": {ac: "=", di: ip, ip: "=", su: "=", ro: "="},
    "note": {s: "=" for s in S},
    "resolve": {s: rs for s in OPEN},
    "reply": {rs: rp},
    "close": {rp: cl, rs: cl},
    "cancel": {ac: ca, rt: ca, ro: ca, di: ca},
    "urge": {s: "=" for s in OPEN},
    "supervise": {s: "=" for s in OPEN},
    "escalate": {s: "=" for s in OPEN},
    "reopen": {rs: ro, rp: ro, cl: ro},
    "merge": {ac: ca, di: ca, ip: ca, rt: ca, ro: ca},
    "link": {s: "=" for s in S if s != ca},
    "co_handle": {di: "=", ip: "="},
    "co_handle_done": {s: "=" for s in OPEN},
    "hand_back": {ac: "=", di: di, ip: di, su: "=", rt: "=", ro: "="},
}

W = Who
WHO: dict[str, set[Who]] = {
    "dispatch": {W.DISPATCHER, W.SUPERVISOR, W.SYSTEM},
    "accept": {W.HANDLER, W.HANDLING_UNIT},
    "transfer": {W.HANDLER, W.HANDLING_UNIT, W.DISPATCHER, W.SUPERVISOR, W.SYSTEM},
    "return": {W.HANDLER, W.HANDLING_UNIT},
    "suspend": {W.HANDLER, W.HANDLING_UNIT, W.SUPERVISOR},
    "resume": {W.HANDLER, W.HANDLING_UNIT, W.SUPERVISOR, W.SYSTEM},
    "contact": {W.HANDLER, W.HANDLING_UNIT, W.OWNER},
    "note": {W.VIEWER},
    "resolve": {W.HANDLER, W.HANDLING_UNIT, W.OWNER, W.SYSTEM},
    "reply": {W.OWNER, W.DISPATCHER, W.SUPERVISOR},
    "close": {W.OWNER, W.DISPATCHER, W.SUPERVISOR, W.SYSTEM},
    "cancel": {W.OWNER, W.SUPERVISOR},
    "urge": {W.OWNER, W.DISPATCHER, W.SUPERVISOR},
    "supervise": {W.SUPERVISOR},
    "escalate": {W.HANDLER, W.HANDLING_UNIT, W.OWNER, W.SUPERVISOR, W.SYSTEM},
    "reopen": {W.OWNER, W.SUPERVISOR, W.SYSTEM},
    "merge": {W.OWNER, W.DISPATCHER, W.SUPERVISOR},
    "link": {W.OWNER, W.HANDLER, W.HANDLING_UNIT, W.DISPATCHER, W.SUPERVISOR},
    "co_handle": {W.HANDLER, W.HANDLING_UNIT, W.SUPERVISOR},
    "co_handle_done": {W.CO_HANDLER},
    "hand_back": {W.SYSTEM},
}


# Moves only some capacities may make: the system resolves any open order on outage restore,
# and archives a resolved one when the customer said at the callback they are satisfied.
ONLY: dict[tuple[str, State], set[Who]] = {("resolve", s): {W.SYSTEM} for s in (di, su, rt, ro)}
ONLY[("close", rs)] = {W.SYSTEM}


def test_the_specification_names_every_action():
    assert set(EXPECTED) == set(ACTIONS) == set(WHO)


@pytest.mark.parametrize(
    ("state", "action", "who"), list(itertools.product(list(S), ACTIONS, list(W)))
)
def test_every_state_action_and_capacity(state, action, who):
    caps = {who}
    allowed = state in EXPECTED[action] and who in ONLY.get((action, state), WHO[action])
    if allowed:
        target = EXPECTED[action][state]
        assert next_state(state, action, caps) == (state if target == "=" else target)
        assert action in allowed_actions(state, caps)
    else:
        with pytest.raises(ActionNotAllowed) as info:
            next_state(state, action, caps)
        assert action not in info.value.allowed
        assert info.value.allowed == allowed_actions(state, caps)


def test_an_unknown_action_lists_what_is_possible():
    with pytest.raises(ActionNotAllowed) as info:
        next_state(S.DISPATCHED, "teleport", {W.HANDLER, W.VIEWER})
    assert info.value.allowed == [
        "accept",
        "transfer",
        "return",
        "contact",
        "note",
        "escalate",
        "link",
        "co_handle",
    ]


def test_nobody_without_a_capacity_may_do_anything():
    assert all(allowed_actions(s, set()) == [] for s in S)
