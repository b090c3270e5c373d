"""Dagster definitions, one package per stage of the pipeline."""
