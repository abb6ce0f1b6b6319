"""Benchmarks of wsbridge against the seed's pattern, a thread pool and the emulator's own limit."""
