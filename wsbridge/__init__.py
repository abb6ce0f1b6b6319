"""wsbridge: AWS security findings turned into Trend Micro Workload Security actions.

The daemon lives in :mod:`wsbridge.consumer`, the integrations in :mod:`wsbridge.handlers`.
"""
