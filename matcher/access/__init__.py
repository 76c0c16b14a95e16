"""Who may do what: accounts, partner keys, bearer tokens and tenancy (object-level authorisation).

May import: ``core``, ``store``.
"""
