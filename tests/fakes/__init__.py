"""Fakes of remote services, written from their specifications, for integration tests."""
