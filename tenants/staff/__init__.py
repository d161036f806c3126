"""Staff of a tenant: invitations, roles, professional registration, deactivation."""
