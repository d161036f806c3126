"""The program's API resources, on a blueprint of their own."""

from __future__ import annotations

from pelvicoach.platform.api import api_blueprint

bp = api_blueprint("programs_api", __name__)

from pelvicoach.programs.api import enrolments, program  # noqa: E402, F401 (their routes)
