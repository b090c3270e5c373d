"""Retrieval baselines of stage 2: how well text similarity alone predicts the human consensus.

Each (attribute, prompt) item is scored by BM25 and by the cosine of all-MiniLM-L6-v2 sentence
embeddings; a threshold fitted on the train split turns a score into a relevant / not-relevant
label, scored against the consensus on the validation and test splits.
"""
