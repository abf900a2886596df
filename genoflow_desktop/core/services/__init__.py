"""Remote services: the catalog, per-user credentials, and the Cloudgene and WES clients."""
