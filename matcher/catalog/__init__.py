"""Offers, candidates and employers (validated writes with their outbox rows), candidate and saved
searches, seekers' alert digests, schema.org JSON-LD and partner sync.

May import: ``governance`` and everything below it.
"""
