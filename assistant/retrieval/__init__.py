"""Retrieval over the company's documents and the essay's sources."""
