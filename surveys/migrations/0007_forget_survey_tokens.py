"""Sessions no longer keep survey tokens (only which invitations a browser opened): take the
tokens out of the sessions that still hold them, so the session table holds no working link.
A browser that had a survey open opens the link from its e-mail again."""

from django.conf import settings
from django.db import migrations

OLD_KEY = "survey_tokens"


def forget_tokens(apps, schema_editor):
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    session_model = apps.get_model("sessions", "Session")
    for session in session_model.objects.iterator(chunk_size=1000):
        data = store.decode(session.session_data)
        if OLD_KEY in data:
            del data[OLD_KEY]
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_campaign_history_baseline"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_tokens, migrations.RunPython.noop)]
