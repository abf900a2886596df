"""Pipelines the user configures and submits: workflow templates, their parameter schemas, presets."""
