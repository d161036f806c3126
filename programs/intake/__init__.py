"""The intake: red flags, type, severity, control, and the route it gives her."""
