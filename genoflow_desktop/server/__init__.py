"""The optional lab sync server (FastAPI, installed with the ``server`` extra). Qt-free."""
