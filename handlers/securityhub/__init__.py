"""Security Hub: ASFF copies of GuardDuty, Inspector and Macie findings, answered by the native integrations."""
