"""The platform operator's console: job health and, in the demo, the mailbox. No patient data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from pelvicoach.platform import audit, outbox
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.jobs import QUEUES, redis_connection
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import cross_tenant, current_tenant

bp = Blueprint("operator", __name__, url_prefix="/operator")


@bp.before_request
def platform_only() -> None:
    if current_tenant() is not None:
        abort(404)


@bp.get("/")
@require_role(Role.OPERATOR)
def home():
    return render_template("operator/home.html", waiting=outbox.backlog(), failed=_failed_jobs())


def _failed_jobs() -> list[dict[str, object]] | None:
    connection = redis_connection()
    if connection is None:
        return None
    failed = []
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        for job_id in FailedJobRegistry(queue=queue).get_job_ids()[:50]:
            job = queue.fetch_job(job_id)
            result = job.latest_result() if job else None
            failed.append(
                {
                    "id": job_id,
                    "queue": name,
                    "function": job.func_name if job else "?",
                    "error": (result.exc_string or "").strip().splitlines()[-1:] if result else [],
                }
            )
    return failed


def demo_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_app.config["PELVICOACH_MODE"] != "demo":
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/mailbox")
@demo_only
@require_role(Role.OPERATOR)
def mailbox():
    """Only in the demo, where mails are not sent: the operator reads them here instead."""
    audit.record("demo_mailbox.read", tenant_id=None)
    db.session.commit()
    with cross_tenant(db.session, "operator: demo mailbox"):
        mails = db.session.scalars(
            select(OutgoingMail).order_by(OutgoingMail.created_at.desc()).limit(100)
        ).all()
    return render_template("operator/mailbox.html", mails=mails)
