"""The managers' web queue at ``/manage``: the console's queue on a phone, served by the SMS server."""

from server.manage.views import ManageSettings, ManageState, init_app

__all__ = ["ManageSettings", "ManageState", "init_app"]
