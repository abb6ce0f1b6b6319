"""The WAF coverage audit, started by a schedule (not built yet: firings are skipped with that reason)."""
