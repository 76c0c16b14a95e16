"""From the store to the search backend: index documents, outbox processing, index administration
(alias migration, consistency checks).

May import: ``core``, ``store``, ``reference``, ``embedding``, ``access``, ``indices``.
"""
