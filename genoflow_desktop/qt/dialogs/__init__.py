"""Dialogs: only for decisions and fatal errors; everything else is shown inline."""
