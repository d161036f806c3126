"""Reminders she picks (days and times, in her tenant's time zone), kind nudges after days
without activity, one-click unsubscribe, and a private calendar feed."""
