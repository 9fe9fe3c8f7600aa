"""Survey writes (being split by sub-domain)."""

from surveys.services.sending import *  # noqa: F403
from surveys.services.sending import _INVITATION_COLUMNS  # noqa: F401
