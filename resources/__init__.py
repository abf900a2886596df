"""Data files of GenoFlow Desktop (icons, catalogs, templates): read via genoflow_desktop.core.resources."""
