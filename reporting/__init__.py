"""Anonymized reporting: aggregation, small-cell suppression, charts, exports, reporting API."""
