from genoflow_desktop.qt.views.upload.upload_view import UploadView

__all__ = ["UploadView"]
