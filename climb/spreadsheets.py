"""Text bound for a CSV download, which people open in a spreadsheet."""

from __future__ import annotations

# Written first: Excel reads a CSV without a byte-order mark in the local code page, which
# garbles every non-ASCII name ("Иван"); other spreadsheets and csv readers skip it.
BOM = "\ufeff"

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (=HYPERLINK can send the sheet's data away, DDE can start programs): OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """`value` as a spreadsheet shows it as text: a leading apostrophe before a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
