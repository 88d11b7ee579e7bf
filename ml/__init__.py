"""Attendance model: train, evaluate and score from the warehouse marts."""
