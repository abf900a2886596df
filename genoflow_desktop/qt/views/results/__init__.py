from genoflow_desktop.qt.views.results.results_view import ResultsView

__all__ = ["ResultsView"]
