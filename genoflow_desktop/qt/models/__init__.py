"""Qt item models: thin adapters over core data, no logic of their own."""
