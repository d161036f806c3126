"""Follow-up: periodic re-assessment, the 8-week alert, red flags reported later, referrals."""
