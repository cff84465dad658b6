"""The weekly triage-table list for each Veilig Huis organisation (built Mondays, like a packet)."""
