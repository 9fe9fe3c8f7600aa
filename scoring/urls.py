from __future__ import annotations

from django.urls import path

from scoring import views

app_name = "scoring"

urlpatterns: list = [
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/matrix/", views.customer_matrix, name="customer-matrix"),
]
