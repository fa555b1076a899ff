"""The rules of docs/rules.md, as plain functions over the models (no views, no requests)."""
