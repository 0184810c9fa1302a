"""Pixels to embeddings: safe image decoding, detection, alignment, embedding, quality, matching."""
