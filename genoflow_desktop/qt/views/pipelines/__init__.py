from genoflow_desktop.qt.views.pipelines.pipelines_view import PipelinesView

__all__ = ["PipelinesView"]
