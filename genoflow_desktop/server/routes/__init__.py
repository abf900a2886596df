"""The HTTP routes, one module per group of docs/sync-server.md's table."""
