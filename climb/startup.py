"""The first thing manage.py and gunicorn.conf.py do: load the settings.

climb/settings.py refuses a value that cannot be meant with an ImproperlyConfigured naming
the variable. Raised where Django first reads the settings, that message was the last line of
a 55-line traceback; read here first, it is the one line printed, and the exit status is 1.
"""

from __future__ import annotations

import os


def load_settings():
    """The settings, loaded; a value they refuse stops the process with their message."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "climb.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reading one imports the module, and its checks)
    except ImproperlyConfigured as error:
        raise SystemExit(str(error)) from None
    return settings
