"""The desktop user interface: the only package that imports PySide6, qasync and pyqtgraph.

Importing this package itself imports no Qt, so ``genoflow.qt.launch`` can explain a broken Qt
installation instead of crashing on import.
"""
