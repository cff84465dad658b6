"""The kernel every domain imports; it imports no domain."""
