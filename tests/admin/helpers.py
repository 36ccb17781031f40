"""Small helpers the admin tests share: admin URLs, the stored copy of a record, the messages a
response left for the user, and opening-then-saving a change form as a curator would."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.admin.forms import change_form_data


def admin_url(model: type[Model] | Model, view: str, *args: Any) -> str:
    """``reverse("admin:<app>_<model>_<view>", args=args)`` for a model class or instance."""
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def change_url(record: Model) -> str:
    return admin_url(record, "change", record.pk)


def transition_url(record: Model, transition: str) -> str:
    return admin_url(record, "transition", record.pk, transition)


def stored(record: Model) -> Any:
    """The record as the database holds it now (a fresh read, not the test's copy)."""
    return type(record)._base_manager.get(pk=record.pk)


def messages_of(response: HttpResponse) -> list[str]:
    """The messages (success, error…) the request behind ``response`` queued for the user."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def open_change_form(client: Client, record: Model) -> HttpResponse:
    """GET the record's admin change form (asserting it opened)."""
    response = client.get(change_url(record))
    assert response.status_code == 200, response.status_code
    return response


def save_change_form(client: Client, record: Model, **changes: Any) -> HttpResponse:
    """Open the record's change form and save it with ``changes`` applied, as a browser would."""
    response = open_change_form(client, record)
    return client.post(change_url(record), change_form_data(response, **changes))


def bulk_action(
    client: Client, model: type[Model], action: str, records: list[Model], **extra: Any
) -> HttpResponse:
    """POST a changelist action for ``records``, as the changelist's action bar does."""
    data = {
        "action": action,
        "_selected_action": [str(record.pk) for record in records],
        "index": "0",
        **extra,
    }
    return client.post(admin_url(model, "changelist"), data)
