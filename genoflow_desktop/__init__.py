"""GenoFlow Desktop: validate, QC and upload sequencing data; submit and follow remote jobs."""

__version__ = "0.1.0"
