"""The OpenAPI document: every operation documents the problem responses it can give, so a
client (and the schema test) knows each status code the API answers with."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from api.problems import PROBLEM_TYPE


class ProblemErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON pointer to the field, / for the whole body")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    # The field is named as RFC 9457 extensions usually are; it shadows Serializer.errors.
    errors = serializers.ListField(child=ProblemErrorSerializer(), required=False)  # type: ignore[assignment]


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "406", "429"]
        if "{" in self.path or self.method == "GET" or self.method == "POST":
            codes.append("404")  # a path's object, or a customer filter, that is not yours
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["415", "422"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_TYPE], direction=direction
                )
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI document: an HTTP bearer scheme."""

    target_class = "api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (kb_…), made under API tokens.",
        }
