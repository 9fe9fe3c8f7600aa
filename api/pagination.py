"""Cursor pagination by id: a page is one index range read, however deep the walk (an offset
would read every earlier row again), and rows added during a walk are not seen twice."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000
