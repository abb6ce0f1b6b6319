"""The integrations: one package per AWS source, and ``_shared`` for what they have in common.

Each integration package reads and decides (``finding``), plans (``plan``) and registers a
:class:`~wsbridge.consumer.handler.Handler` (``handler``). ``_shared`` imports no integration.
"""
