"""Orchestration shared by every stage: paths, logging, the end-to-end run."""
