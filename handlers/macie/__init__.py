"""Macie: findings about S3 buckets (read and decided; no responder yet)."""
