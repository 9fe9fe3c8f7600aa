"""Spreadsheet imports of customers and assessments: read, check every row, write all or nothing.

The steps are separate so the management commands and the web upload page share them:

1. ``table_read(source, filename)`` turns CSV or XLSX bytes into a ``Table`` (header and rows
   with the row numbers the user sees in the spreadsheet) — ``tables``;
2. ``customers_clean`` / ``assessments_clean`` check every row (``cells`` reads the values;
   ``contacts`` the customers file's optional contact person columns)
   and raise ``ImportFailed`` with all problems, or return the cleaned rows;
3. ``customers_import`` / ``assessments_import`` do both and write in one transaction.

``uploads`` keeps a web upload between its check and its confirm.
"""

from scoring.imports.assessments import (
    ASSESSMENT_COLUMNS,
    ASSESSMENT_OPTIONAL_COLUMNS,
    AssessmentsPlan,
    assessments_clean,
    assessments_import,
)
from scoring.imports.contacts import CONTACT_COLUMNS, ContactRow
from scoring.imports.customers import (
    CUSTOMER_COLUMNS,
    CustomerRow,
    customers_clean,
    customers_import,
)
from scoring.imports.tables import (
    ImportFailed,
    ImportProgress,
    ImportSummary,
    RowError,
    Table,
    TableRow,
    table_read,
    table_read_path,
)

__all__ = [
    "ASSESSMENT_COLUMNS",
    "ASSESSMENT_OPTIONAL_COLUMNS",
    "CONTACT_COLUMNS",
    "CUSTOMER_COLUMNS",
    "AssessmentsPlan",
    "ContactRow",
    "CustomerRow",
    "ImportFailed",
    "ImportProgress",
    "ImportSummary",
    "RowError",
    "Table",
    "TableRow",
    "assessments_clean",
    "assessments_import",
    "customers_clean",
    "customers_import",
    "table_read",
    "table_read_path",
]
