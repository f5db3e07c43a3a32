"""Reading reference sets, submissions and audio."""
