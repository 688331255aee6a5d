"""registry-harness schemas: JSON Schemas for every document the registry protocol carries."""
