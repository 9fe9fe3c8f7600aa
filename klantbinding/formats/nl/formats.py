"""Dutch dates: 1-12-2026 in lists, 1 december 2026 in sentences (Django's own Dutch forms,
written out here so the house style does not depend on Django's locale files)."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j-n-Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "j-n-Y H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1
