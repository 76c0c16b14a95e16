"""Offline measurement: BEIR benchmarks, the evaluation harness (BM25, dense, hybrid, full ranker),
training sets and shortlist relevance.

May import: ``demo`` and everything below it.
"""
