"""The Qt-free core: everything the app does, usable headless from the CLI and from tests."""
