"""Shift statistics for supervisors: aggregates only (counts and durations), never an incident."""
