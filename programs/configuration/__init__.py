"""Versioned program documents per tenant: append-only; a patient is pinned to one."""
