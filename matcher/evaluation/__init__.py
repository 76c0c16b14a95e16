"""Offline measurement: BEIR benchmarks, the evaluation harness (BM25, dense, hybrid, full ranker),
training sets, shortlist relevance, and the generated CV corpus the CV parser is measured on.

May import: ``demo`` and everything below it.
"""
