#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "climb.settings")
    from django.core.management import execute_from_command_line

    from climb.startup import load_settings

    load_settings()  # a value the settings refuse: their one line, not a traceback

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
