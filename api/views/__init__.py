"""The API's views (``resources``) and its two pages of the app (``tokens``, ``webhooks``)."""
