"""What the integrations share: typed field reads, identifiers, times, severities, policies, lookups, notices."""
