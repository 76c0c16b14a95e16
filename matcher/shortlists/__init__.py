"""Kept shortlists (built, audited, paginated, explained) and the decisions recruiters record on them.

May import: ``catalog`` and everything below it.
"""
