"""gunicorn settings; every value can be overridden with GUNICORN_CMD_ARGS or flags.

Run: gunicorn -c deploy/gunicorn.conf.py pelvicoach.platform.wsgi:app
"""

import multiprocessing
import os
import tempfile
from pathlib import Path

# Inside a container the port must be reachable from outside it.
bind = os.environ.get("PELVICOACH_BIND", "0.0.0.0:8000")
# Capped: each worker holds its own database pool, and a container sees the host's CPUs.
workers = int(os.environ.get("PELVICOACH_WEB_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Load the app once in the master: a bad setting stops start-up with one line, not per worker.
preload_app = True
threads = int(os.environ.get("PELVICOACH_WEB_THREADS", 2))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# The app writes its own JSON request log with the request id; gunicorn's would repeat it.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("PELVICOACH_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Request metrics of every worker, summed at each scrape (prometheus_client's multiprocess mode):
# the directory is named before the app is loaded, and emptied at start.
METRICS_DIR = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="pelvicoach-metrics-")
    )
)
METRICS_DIR.mkdir(parents=True, exist_ok=True)


def on_starting(server):
    for left in METRICS_DIR.glob("*.db"):
        left.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
