"""Who is asking, for the public pages that customers' contact persons open (the survey and
exit survey answer pages): ``{% company as company %}`` (klantbinding/company.py)."""

from __future__ import annotations

from django import template

from klantbinding.company import Company, company_get

register = template.Library()


@register.simple_tag
def company() -> Company:
    """The company's name and logo for a public page's header."""
    return company_get()
