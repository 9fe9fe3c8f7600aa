"""The upload handler that keeps no more of a file than an upload may hold.

Django writes an uploaded file to a temporary file whole before a form can look at its size,
so a 5 GB upload filled the disk before the page said it was too large. This handler writes
the first ``KB_UPLOAD_MAX_BYTES`` (and the chunk that crosses it) and only counts the rest:
the file's ``size`` is still the whole size, so the form refuses it with its message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start > settings.KB_UPLOAD_MAX_BYTES:
            return None  # counted by Django (the file's size), not kept
        super().receive_data_chunk(raw_data, start)
        return None
