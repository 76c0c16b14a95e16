"""Read-only reference data: the ROME taxonomy, ESCO skills, French geography, skill extraction and
occupation inference.

May import: ``core``, ``store``, ``embedding``, ``indices``.
"""
