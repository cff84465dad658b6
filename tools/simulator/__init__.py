"""The night simulator: a believable synthetic night played through the real HTTP API.

`plan` decides the night (pure, deterministic for a seed), `driver` plays it over HTTP, and
`local` prepares tokens for the demo accounts when run as `flask demo night`. Every call is
an exercise; `clean` removes them again (`flask demo night --clean`).
"""
