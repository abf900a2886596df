"""Real third-party servers the integration tests talk to, installed and started on demand."""
