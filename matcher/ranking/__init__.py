"""Matching an offer and candidates: views, features, the additive ranker, the scorer and the
shortlist / matches pipeline (retrieve, score, explain).

May import: ``indexing`` and everything below it.
"""
