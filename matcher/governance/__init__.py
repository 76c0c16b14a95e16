"""Accountability and people's rights: the audit chain, GDPR export and erasure, retention, CRPA
transparency statements, fairness monitoring.

May import: ``notify`` and everything below it.
"""
