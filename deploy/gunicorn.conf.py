"""Gunicorn settings for one Nachtwacht server process (`gunicorn -c deploy/gunicorn.conf.py`).

One worker per process: a Socket.IO session lives in the process that accepted it, so scale by
adding processes on consecutive ports behind nginx (`ip_hash`), never by adding workers. The
`gthread` worker serves each websocket on its own thread (simple-websocket), hence the threads.
"""

import os

wsgi_app = "wsgi:app"
chdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the project root
bind = [os.environ.get("NACHTWACHT_BIND", "127.0.0.1:8001")]
proc_name = "nachtwacht-" + bind[0].rsplit(":", 1)[-1]

workers = 1
worker_class = "gthread"
threads = int(os.environ.get("NACHTWACHT_THREADS", "50"))  # one per open websocket, plus requests

timeout = 60  # the worker's heartbeat; open websockets do not count against it
graceful_timeout = int(os.environ.get("NACHTWACHT_GRACEFUL_TIMEOUT", "15"))

# No `gunicornc` control socket: the processes would share one default path, and its worker
# count must stay 1 anyway. systemd (or `make serve`) manages the processes.
control_socket_disable = True

# Forwarded headers are trusted in one place only: the app's ProxyFix (TRUSTED_PROXIES).
forwarded_allow_ips = ""

# Paths only: query strings may carry search terms or Engine.IO session ids. %(h)s is the client
# (ProxyFix sets it from X-Forwarded-For when TRUSTED_PROXIES trusts nginx), then the header.
accesslog = "-"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"


def post_worker_init(worker):
    """Keep the cyclic garbage collector off what the worker loaded at start-up.

    The app, its libraries and their caches are some 200,000 long-lived objects that are never
    garbage; a full collection walked them all, holding every request of the process for over
    100 ms. Frozen, they are left out of every collection, so a full one costs what the
    requests' own objects cost.
    """
    import gc

    gc.collect()
    gc.freeze()
