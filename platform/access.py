"""Who may do what: role checks for views, object checks for records.

Another tenant's object answers 404, never 403, so its existence is not revealed. Within the
tenant, a role that may not use a page gets 403; an object the role may not see (a patient off
a clinician's caseload) is decided by the policy registered for its type.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from pelvicoach.platform.tenancy import current_tenant_id

F = TypeVar("F", bound=Callable[..., Any])


class Decision(Enum):
    ALLOW = "allow"
    FORBID = "forbid"  # same tenant, not for this person: 403
    HIDE = "hide"  # as if it did not exist: 404


Policy = Callable[[Any, Any], Decision]
_policies: dict[type, Policy] = {}


def register_policy(model: type, policy: Policy) -> None:
    _policies[model] = policy


def require_role(*roles: str) -> Callable[[F], F]:
    """Signed in, on her own tenant's site, with one of `roles`; else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def decide(obj: Any) -> Decision:
    """What the current user may do with `obj`: missing or foreign objects are hidden, the rest
    is up to the policy registered for its type (no policy: allowed)."""
    if obj is None or getattr(obj, "tenant_id", None) != current_tenant_id():
        return Decision.HIDE
    policy = _policies.get(type(obj))
    return policy(current_user, obj) if policy else Decision.ALLOW


def require_access(obj: Any) -> Any:
    """Return `obj` if the current user may see it; 404 for missing or foreign objects, 403 for
    what her role or caseload does not cover."""
    decision = decide(obj)
    if decision is Decision.HIDE:
        abort(404)
    if decision is Decision.FORBID:
        abort(403)
    return obj
