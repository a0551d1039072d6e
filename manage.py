#!/usr/bin/env python
import os
import sys


def main():
    # Production settings unless told otherwise, as in config/wsgi.py: `make run` and `make test` ask for the
    # development ones.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
