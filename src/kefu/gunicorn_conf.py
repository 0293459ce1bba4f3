"""Gunicorn settings for `kefu serve`.

After a worker has loaded Django, its ~110,000 long-lived objects are moved out of the
garbage collector's sight (gc.freeze) and the young generation is made larger: otherwise a
full collection over them costs 50–120 ms and lands on every twentieth request or so,
which alone set the p95 of list pages (bench/RESULTS.md).
"""

import gc

GC_THRESHOLDS = (50_000, 20, 100)

# No control socket: gunicorn would put it at $XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl, one path for every instance of this user, so a second Kefu on
# the machine would take over the first one's. Nothing of Kefu's uses it; an instance keeps
# all its state in its data dir (KEFU_DATA_DIR).
control_socket_disable = True


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
