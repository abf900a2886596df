"""Sniffing, validation, QC metrics and the imputation pre-flight (Qt-free)."""
