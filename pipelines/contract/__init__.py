"""The raw-data contract: what a drop may contain and where each record lands, declared once in
`contract.yml` (`declaration`), from which the pydantic models (`models`), the DuckDB tables
(`tables`) and, by `python -m pipelines.contract generate`, the files other tools read derive."""
