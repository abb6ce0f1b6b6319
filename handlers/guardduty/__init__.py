"""GuardDuty: findings about EC2 instances answered with Workload Security scans."""
