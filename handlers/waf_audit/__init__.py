"""The WAF coverage audit: front doors, their web ACLs, the policies behind them, the rule group that fits."""
