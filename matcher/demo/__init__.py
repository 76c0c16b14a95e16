"""The demo data: real shipped offers and candidate profiles generated from ROME occupation sheets
(labels derived from codes, never from people), demo accounts.

May import: ``shortlists`` and everything below it.
"""
