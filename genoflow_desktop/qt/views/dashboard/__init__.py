from genoflow_desktop.qt.views.dashboard.dashboard_view import DashboardView

__all__ = ["DashboardView"]
