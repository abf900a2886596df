from genoflow_desktop.qt.views.settings.settings_view import SettingsView

__all__ = ["SettingsView"]
