"""Pages (being split by sub-domain)."""

from scoring.views.customers import *  # noqa: F403
from scoring.views.customers import SORTS, management_required  # noqa: F401
from scoring.views.dashboard import *  # noqa: F403
