"""Learned Johnson–Lindenstrauss embeddings (paper §5.2, App. G)."""
