"""Shapes of tenant data, behind both the admin console's forms and the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from pelvicoach.platform.config import LOCALES
from pelvicoach.tenants import postcodes
from pelvicoach.tenants.branding import HEX_COLOUR, colour_problem
from pelvicoach.tenants.care_providers import ProviderKind


class TenantSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class KeyInfoSchema(Schema):
    name = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True)
    tenant = fields.Nested(TenantSchema, dump_only=True)


def _readable(value: str) -> None:
    """The contrast, which no JSON schema can state (the form is checked by the pattern)."""
    problem = colour_problem(value) if HEX_COLOUR.match(value) else None
    if problem:
        raise ValidationError(problem)


class Colour(fields.String):
    """#rrggbb, readable under white text; loaded in lower case."""

    def __init__(self, **kwargs: Any) -> None:
        pattern = validate.Regexp(
            r"^#[0-9a-fA-F]{6}$", error=_l("Use the #rrggbb form, for example #1f6b45.")
        )
        super().__init__(validate=[pattern, _readable], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class ProgramSettingsSchema(Schema):
    brand_color = Colour()
    clinicians_see_all_patients = fields.Boolean()


def _welcome(value: dict[str, str]) -> None:
    unknown = set(value) - set(LOCALES)
    if unknown:
        raise ValidationError(str(_l("Unknown language: %(codes)s.", codes=", ".join(unknown))))


def _optional(check: validate.Validator, *, max_length: int) -> Any:
    def run(value: str) -> None:
        if value == "":
            return
        if len(value) > max_length:
            raise ValidationError(str(_l("Use at most %(n)d characters.", n=max_length)))
        check(value)

    return run


def Phone(**kwargs: Any) -> fields.String:  # noqa: N802 (a field factory, used like a class)
    """A Dutch or international phone number, or "" for none."""
    check = validate.Regexp(
        r"^\+?[0-9][0-9 -]{5,18}$",
        error=_l("Use digits, spaces and dashes, for example 030-1234567."),
    )
    return fields.String(validate=_optional(check, max_length=20), **kwargs)


def WebAddress(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802 (as above)
    """An https:// address, or "" for none."""
    check = validate.URL(
        schemes={"https"}, require_tld=True, error=_l("Give a web address starting with https://.")
    )
    return fields.String(validate=_optional(check, max_length=max_length), **kwargs)


class BrandingSchema(Schema):
    """What an admin sets of the tenant's look and contact details."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=2, max=120))
    brand_color = Colour()
    accent_color = Colour()
    welcome = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Length(max=1000)),
        validate=_welcome,
    )
    # Each may be emptied: "" means not given.
    support_email = fields.String(
        validate=_optional(validate.Email(error=_l("Not a valid e-mail address.")), max_length=254)
    )
    support_phone = Phone()
    privacy_url = WebAddress(max_length=300)


def _known_postcode(value: str) -> None:
    if postcodes.centre(value) is None:
        raise ValidationError(str(_l("Not a Dutch postcode we can place on the map.")))


class CareProviderSchema(Schema):
    """A care provider of the directory: the admin's form and every row of an import."""

    class Meta:
        unknown = RAISE

    kind = fields.String(
        required=True, validate=validate.OneOf([kind.value for kind in ProviderKind])
    )
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    address = fields.String(required=True, validate=validate.Length(min=2, max=200))
    postcode = fields.String(
        required=True,
        validate=[
            validate.Regexp(
                r"^\s*[1-9][0-9]{3}\s*[A-Za-z]{2}\s*$",
                error=_l("Use a Dutch postcode, for example 3511 AB."),
            ),
            _known_postcode,
        ],
    )
    city = fields.String(required=True, validate=validate.Length(min=2, max=80))
    phone = Phone(load_default="")
    website = WebAddress(max_length=200, load_default="")
    accepting_patients = fields.Boolean(load_default=True)
    contracted = fields.Boolean(load_default=False)

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        digits, letters = (
            data["postcode"].replace(" ", "")[:4],
            data["postcode"].replace(" ", "")[4:],
        )
        data["postcode"] = f"{digits} {letters.upper()}"
        for name in ("name", "address", "city", "phone", "website"):
            data[name] = data[name].strip()
        return data
