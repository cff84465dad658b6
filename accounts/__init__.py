"""Authentication, users, organisations and API tokens."""
