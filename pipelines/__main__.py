import gc
import sys

from pipelines.cli import main

code = main()
# At exit Python's last garbage collections walk every object the run loaded (Dagster, dbt, Great
# Expectations, spaCy): seconds of CPU for nothing. Frozen objects are skipped; atexit handlers
# still run, and objects are still freed as their references go.
gc.freeze()
sys.exit(code)
