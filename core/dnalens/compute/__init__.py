"""Computations the operations share: embeddings, site and sequence likelihoods."""
