"""`order_changed` is sent inside the transaction of every work-order action.

Receivers (time limits, complaint intelligence, owner notifications) run in that same
transaction, so an action and everything it implies commit or roll back together.
Arguments: `order` (the saved WorkOrder), `event` (the WorkOrderEvent just written).
"""

from django.dispatch import Signal

order_changed = Signal()
