"""A tenant's e-mails wear its brand: its name as the sender's name (from the platform's own
address, so the mail still passes SPF and DKIM) and a signature with its contact details."""

from __future__ import annotations

from email.utils import formataddr

from sqlalchemy import select

from pelvicoach.platform.extensions import db
from pelvicoach.platform.mail import Brand, sender_address
from pelvicoach.tenants.models import Tenant


def brand_of(tenant_id: int) -> Brand | None:
    tenant = db.session.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if tenant is None:
        return None
    contact = [tenant.support_email, tenant.support_phone]
    signature = "\n".join(["-- ", tenant.name, *(line for line in contact if line)])
    return Brand(sender=formataddr((tenant.name, sender_address()), "utf-8"), signature=signature)
