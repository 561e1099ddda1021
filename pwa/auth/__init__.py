from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import devices, views, web  # noqa: E402,F401

bp.before_app_request(web.forget_request_state)
bp.after_app_request(web.write_remember_cookie)
bp.after_app_request(web.drop_legacy_cookie)
bp.add_app_template_filter(devices.describe_agent, "device_name")
