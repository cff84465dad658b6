"""Tests for the shift statistics (stats/)."""
