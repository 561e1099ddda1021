"""What the home screen shows."""

from ..models import User


def home_summary(patient: User) -> dict:
    return {}
