"""Inspector (Inspector2 and Inspector Classic): vulnerable instances shielded with Intrusion Prevention rules."""
