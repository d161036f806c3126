"""The bladder diary (plasdagboek): three days of quick entries and what they add up to."""
