"""The conversation flow's domain logic: prepare raw records, chunk, search. No Dagster here."""
