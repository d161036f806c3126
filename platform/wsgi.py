"""The WSGI entry point: `gunicorn -c deploy/gunicorn.conf.py pelvicoach.platform.wsgi:app`.

Built at import, as WSGI servers expect. A bad setting stops the server with one line naming the
variable; exit code 4 tells gunicorn's master not to retry (an application that cannot load).
"""

from __future__ import annotations

import sys

from pelvicoach.platform.app import create_app
from pelvicoach.platform.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"pelvicoach: configuration error: {exc}", file=sys.stderr)
    sys.exit(4)
