"""`<id:...>` in URLs: a database id, at most 18 digits.

Django's `<int:...>` takes any length of digits, and a number past 2**63 - 1 then fails in
the database driver (OverflowError, a 500) instead of matching nothing. Eighteen digits is
every id a BigAutoField hands out for a very long time, and anything longer is a 404 at the
resolver, before a view or a query runs.
"""

from __future__ import annotations

from django.urls import register_converter
from django.urls.converters import IntConverter


class IdConverter(IntConverter):
    regex = "[0-9]{1,18}"


register_converter(IdConverter, "id")
