"""The raw-data contract: what a drop may contain and where each record lands."""
