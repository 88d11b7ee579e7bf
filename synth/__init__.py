"""Synthetic raw data with planted structure, in the program's raw format."""
