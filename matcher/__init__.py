"""The matching domain: offers, candidates, reference data, embeddings, shortlists and jobs."""
