"""Macie: findings about S3 buckets answered with scans of the protected instances that can read them."""
