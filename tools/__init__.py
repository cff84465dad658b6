"""Tools beside the product: the night simulator, data builders, live-topology helpers."""
