"""The API fixtures (logged-in WeChat users and staff) for the export tests."""

from miniapp_api.conftest import login, staff_login

__all__ = ["login", "staff_login"]
