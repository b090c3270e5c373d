"""The release: user-grouped splits, Parquet export, the dataset card, versioned publishing.

`build` turns the marts into a staged release folder laid out as the Hub expects; `targets`
publish it as one commit plus a tag to a local git dataset repo or a Hub dataset repo; `loading`
loads a given release back with `datasets`.
"""
