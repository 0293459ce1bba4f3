"""Signals of the work-order services, sent inside the transaction of the action.

`order_changed` follows every action. Receivers (time limits, complaint intelligence,
owner notifications) run in that same transaction, so an action and everything it
implies commit or roll back together. Arguments: `order` (the saved WorkOrder), `event`
(the WorkOrderEvent just written).

`order_taking_in` precedes the INSERT of a new order. Receivers set on the unsaved
`order` what they decide about it (its due time, the repeat-complaint flag), and may add
to `event_data`, which becomes the create event's data: everything is written by the one
INSERT of each row instead of updating rows just written (an order has twenty indexes).
"""

from django.dispatch import Signal

order_changed = Signal()
order_taking_in = Signal()
