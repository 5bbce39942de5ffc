"""Texts of the committed sample data, kept apart from the generator (`scripts/make_samples.py`).

Every conversation here is invented for the samples. Secrets in it are fake values shaped like
real ones (AWS's documented example key id, keys spelled FAKE/EXAMPLE), planted so the pipeline's
redaction can be tested.
"""
