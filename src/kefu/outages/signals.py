"""`outage_restored` is sent inside the restore transaction, after the linked orders are
resolved. Arguments: `outage`, `orders` (the work orders the restore resolved).

The hook for the callback app: each of those orders is due a callback 回访.
"""

from django.dispatch import Signal

outage_restored = Signal()
