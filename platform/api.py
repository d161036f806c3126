"""The JSON API under `/api/v1/` of a tenant's site: key auth with scopes, marshmallow schemas,
RFC 9457 problem details, and an OpenAPI 3 document built from the routes' own declarations.

Each package makes its own blueprint with `api_blueprint(name)`, adds routes described with
`@operation(...)` and registers it in its `init_app`; the document is built from the URL map,
so the order in which packages register does not matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields

from pelvicoach.platform import api_keys, audit, idempotency
from pelvicoach.platform.errors import problem
from pelvicoach.platform.extensions import csrf, db, limiter
from pelvicoach.platform.tenancy import require_tenant

F = TypeVar("F", bound=Callable[..., Any])

URL_PREFIX = "/api/v1"


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint for a package's API routes: under /api/v1, without CSRF (key-authenticated,
    no cookies), invalid bodies answered as 422 problem details."""
    blueprint = Blueprint(name, import_name, url_prefix=URL_PREFIX)
    csrf.exempt(blueprint)
    blueprint.register_error_handler(ValidationError, _validation_error)
    return blueprint


@dataclass
class Operation:
    summary: str
    scope: str | None
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    errors: list[int] = field(default_factory=list)
    idempotent: bool = False
    query: type[Schema] | None = None


# Per client address as well, so made-up keys cannot buy a fresh budget on every call.
ADDRESS_LIMIT = "1200 per minute"


def _api_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def _key_limit() -> str:
    """Limit per key (its public lookup part); calls without a usable key per address."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    lookup = token.partition("_")[2].partition("_")[0]
    return f"api:{lookup}" if lookup else f"api-anon:{request.remote_addr}"


def operation(
    summary: str,
    *,
    scope: str | None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    idempotent: bool = False,
    query: type[Schema] | None = None,
) -> Callable[[F], F]:
    """Authenticate the API key, check `scope` (None: any valid key) and document the route.
    `idempotent`: the call honours an `Idempotency-Key` header (`platform/idempotency.py`).
    `query`: the query parameters, for the document (the view reads and checks them)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            tenant = require_tenant()
            header = request.headers.get("Authorization", "")
            key = None
            if header.startswith("Bearer "):
                key = api_keys.authenticate(tenant.id, header.removeprefix("Bearer ").strip())
            if key is None:
                return _unauthorized()
            if scope is not None and scope not in key.scopes:
                return problem(403, "Forbidden", f"This key lacks the scope {scope}.")
            g.api_key = key
            db.session.commit()  # keep last_used_at even when the call itself fails
            if idempotent:
                return idempotency.run_once(view, *args, **kwargs)
            return view(*args, **kwargs)

        wrapped.api_operation = Operation(  # type: ignore[attr-defined]
            summary,
            scope,
            body,
            response,
            status,
            # A body or query the platform cannot take at all (not JSON, a NUL character): 400.
            sorted(
                {
                    401,
                    403,
                    404,
                    422,
                    429,
                    *([400] if body or query else []),
                    *([409] if idempotent else []),
                }
                | set(errors)
            ),
            idempotent,
            query,
        )
        per_key = limiter.limit(_api_limit, key_func=_key_limit)(wrapped)
        return limiter.limit(ADDRESS_LIMIT)(per_key)  # type: ignore[return-value]

    return decorator


def _unauthorized() -> Response:
    response = problem(401, "Unauthorized", "Send a valid API key: Authorization: Bearer <key>.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="pelvicoach"'
    return response


def load(schema: type[Schema], partial: bool = False) -> dict[str, Any]:
    """The request body validated by `schema`; a 422 problem with field errors otherwise, or a
    400 when the body is not valid JSON."""
    payload = request.get_json() if request.is_json else None
    if not isinstance(payload, dict):
        raise ValidationError({"_body": ["Send a JSON object."]})
    return schema().load(payload, partial=partial)


def audit_call(
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    key = g.api_key
    audit.record(
        action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        actor_id=key.created_by,
        actor_roles=f"api_key:{key.id}",
    )


def _validation_error(error: ValidationError) -> Response:
    db.session.rollback()
    return problem(
        422, "Unprocessable Content", "The request body has invalid fields.", errors=error.messages
    )


# --- OpenAPI ------------------------------------------------------------------------------


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict()
    allowed = fields.List(fields.String(), metadata={"description": "The values offered instead"})


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Pelvicoach API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Per-tenant API. Authenticate with `Authorization: Bearer <key>`."},
        servers=[{"url": request.script_root or "/"}],
    )
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        meta: Operation | None = getattr(view, "api_operation", None)
        if meta is None:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", f"{{{argument}}}").replace(
                f"<int:{argument}>", f"{{{argument}}}"
            )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            spec.path(path=path, operations={method.lower(): _describe(meta, rule)})
    return spec.to_dict()


def _describe(meta: Operation, rule: Any) -> dict[str, Any]:
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses: dict[str, Any] = {
        str(meta.status): {
            "description": "OK",
            **(
                {"content": {"application/json": {"schema": meta.response}}}
                if meta.response
                else {}
            ),
        }
    }
    for status in sorted(set(meta.errors)):
        responses[str(status)] = {
            "description": HTTP_REASONS.get(status, "Error"),
            "content": problem_ref,
        }
    described: dict[str, Any] = {
        "summary": meta.summary,
        "security": [{"apiKey": []}],
        "responses": responses,
    }
    if meta.scope:
        described["description"] = f"Needs the scope `{meta.scope}`."
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in sorted(rule.arguments)
    ]
    if meta.idempotent:
        parameters.append(
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": False,
                "description": "Sending the call again with the same key and body returns the"
                " first answer (kept 24 hours); another body with the key is a 409.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": idempotency.MAX_KEY_LENGTH,
                },
            }
        )
    if meta.query:
        parameters.append({"in": "query", "schema": meta.query})  # one per field, by apispec
    if parameters:
        described["parameters"] = parameters
    if meta.body:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": meta.body}},
        }
    return described


HTTP_REASONS = {
    400: "The body is not JSON, a query value is not one offered, or either holds characters"
    " no text may hold",
    401: "No valid API key",
    403: "The key lacks the scope",
    404: "Not found",
    409: "Conflict",
    422: "Invalid request body",
    429: "Too many requests",
}


bp = api_blueprint("api", __name__)


@bp.get("/openapi.json")
def openapi() -> Response:
    require_tenant()
    return jsonify(build_spec(current_app))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
