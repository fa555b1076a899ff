"""The rules of SPEC §1, as plain functions over the models (no views, no requests)."""
