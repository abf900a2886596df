"""Fakes for our own seams (never for the real services a user meets)."""
