"""Shared ground of every domain: models, errors, settings, row conversions, progress, retry policy,
the outbox write (ids, ``enqueue``), index names and erasure tombstones.

May import: ``matcher.store`` and ``indices`` only.
"""
