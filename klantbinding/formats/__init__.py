"""The house's date formats per language (settings.FORMAT_MODULE_PATH).

One way to write a date per language, everywhere: Dutch 1-12-2026 (lists) and 1 december 2026
(sentences), English 1 Dec 2026 (never the US 12/01/2026). Templates name the format
(``|date:"SHORT_DATE_FORMAT"``), Python code uses ``klantbinding.lib.dates``; only what differs
from Django's own locale files is set here.
"""
