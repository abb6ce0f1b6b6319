"""AWS Config: compliance changes, configuration changes and custom-rule invocations about EC2 instances."""
