"""The actions app's pages, by sub-domain: actions, the catalogue and campaigns, the report."""

from django.contrib.auth.models import User
from django.http import HttpRequest


def signed_in(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required`` (or ``management_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user
