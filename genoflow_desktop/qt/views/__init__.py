"""The five main views, one package each: dashboard, upload, pipelines, results, settings."""
