"""Actions to and from CSV/XLSX: a good file creates every row, a bad one nothing, and every
problem is named with its row and column; an exported file imports again."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.exports import ACTION_COLUMNS, action_rows, write_csv, write_xlsx
from actions.imports import actions_import
from actions.models import Action
from scoring.imports import ImportFailed, table_read
from tests.actions.factories import make_action
from tests.factories import CustomerFactory, assess

pytestmark = pytest.mark.django_db

HEADER = "customer;action_type;element;title;owner_email;due_on;status;decided_at;outcome\n"


def table(text: str, name: str = "acties.csv"):
    return table_read(text.encode("utf-8"), name)


@pytest.fixture
def customers(anne):
    return [
        CustomerFactory(external_id="K001", account_manager=anne),
        CustomerFactory(external_id="K002", account_manager=anne),
    ]


def test_a_good_file_creates_every_action_with_its_checklist_and_baseline(customers, anne):
    assess(customers[0], {"it_integration": 1, "performance": 4})
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    text = HEADER + (
        f"K001;it-integration;it_integration;ERP-koppeling;{anne.email};{due};open;;\n"
        f"K002;knowledge-event;;Kennisdag;{anne.email.upper()};{due};;;\n"
        f"K002;contract-renewal;contract;Verlenging;{anne.email};1-3-2026;done;2026-01-05;partly\n"
    )
    summary = actions_import(table=table(text))

    assert summary.created == 3
    erp = Action.objects.get(title="ERP-koppeling")
    assert erp.status == "open" and erp.baseline_value == pytest.approx(1.0)
    assert erp.steps.count() == 5
    knowledge = Action.objects.get(title="Kennisdag")
    # An empty element is the whole binding.
    assert knowledge.element_code == "" and knowledge.status == "proposed"
    done = Action.objects.get(title="Verlenging")
    assert done.outcome == "partly" and done.due_on == dt.date(2026, 3, 1)
    assert done.completed_at is not None
    # Decided before any stored score: no baseline is made up.
    assert timezone.localtime(done.decided_at).date() == dt.date(2026, 1, 5)
    assert done.baseline_score is None


def test_a_bad_file_writes_nothing_and_names_every_problem_with_row_and_column(
    customers, anne, bart
):
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    text = HEADER + (
        f"K001;it-integration;it_integration;Goed;{anne.email};{due};;;\n"  # row 2: fine
        f"K999;it-integratie;no_such;Fout;{bart.email}x;31-2-2026;klaar;;\n"  # row 3
        f"K002;knowledge-event;knowledge_advantage;;{anne.email};{due};proposed;2026-01-01;\n"
        f"K002;knowledge-event;knowledge_advantage;Dubbel;{anne.email};{due};done;;\n"
    )
    with pytest.raises(ImportFailed) as failed:
        actions_import(table=table(text))
    problems = {(e.row, e.column) for e in failed.value.errors}
    assert {
        (3, "customer"),
        (3, "action_type"),
        (3, "element"),
        (3, "owner_email"),
        (3, "due_on"),
        (3, "status"),
        (4, "title"),
        (4, "decided_at"),
        (5, "outcome"),
    } <= problems
    assert not any(e.row == 2 for e in failed.value.errors)
    text_report = failed.value.text()
    assert "nothing was written" in text_report
    assert 'Row 3, column "customer": there is no customer “K999”.' in text_report
    assert not Action.objects.exists()


def test_two_open_actions_of_one_kind_in_a_file_or_next_to_the_database_are_refused(
    customers, anne, mira
):
    make_action(customers[0], by=mira)  # an open knowledge event for K001
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    text = (
        "customer,action_type,title,owner_email,due_on\n"
        f"K001,knowledge-event,Nog een,{anne.email},{due}\n"
        f"K002,knowledge-event,Eerste,{anne.email},{due}\n"
        f"K002,knowledge-event,Tweede,{anne.email},{due}\n"
    )
    with pytest.raises(ImportFailed) as failed:
        actions_import(table=table(text))
    messages = {(e.row, e.column): e.message for e in failed.value.errors}
    assert "already has an open action" in messages[(2, "action_type")]
    assert "row 3 already has an open action" in messages[(4, "action_type")]
    assert Action.objects.count() == 1


def test_the_owner_must_be_an_account_manager(customers, mira):
    text = (
        "customer,action_type,title,owner_email,due_on\n"
        f"K001,knowledge-event,x,{mira.email},2030-01-01\n"
    )
    with pytest.raises(ImportFailed) as failed:
        actions_import(table=table(text))
    assert failed.value.errors[0].column == "owner_email"
    assert "is not an account manager" in failed.value.errors[0].message


def test_unknown_and_missing_columns_are_named(customers):
    with pytest.raises(ImportFailed) as failed:
        actions_import(table=table("customer,actie_type,titel\nK001,x,y\n"))
    text = failed.value.text()
    assert 'column "actie_type": unknown column; did you mean “action_type”?' in text
    assert 'column "owner_email": the column is missing' in text


def test_an_exported_file_imports_into_another_database(customers, anne, mira):
    make_action(customers[0], by=mira, title="ERP", type_code="it-integration")
    done = make_action(customers[1], by=mira, title="Kennisdag")
    from actions import services

    services.action_complete(action=done, outcome="achieved", note="Goed", by=anne)
    rows = action_rows(Action.objects.all())
    csv_text = io.StringIO()
    write_csv(rows, ACTION_COLUMNS, csv_text)
    xlsx = io.BytesIO()
    write_xlsx(rows, ACTION_COLUMNS, xlsx)
    Action.objects.all().delete()

    assert actions_import(table=table(csv_text.getvalue())).created == 2
    copy = Action.objects.get(title="Kennisdag")
    assert copy.status == "done" and copy.outcome == "achieved" and copy.outcome_note == "Goed"
    assert copy.element_code == "knowledge_advantage"
    Action.objects.all().delete()
    assert actions_import(table=table_read(xlsx.getvalue(), "acties.xlsx")).created == 2
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.getvalue())).active
    assert [c.value for c in sheet[1]] == list(ACTION_COLUMNS)


def test_the_commands_export_and_import(customers, mira, tmp_path):
    make_action(customers[0], by=mira, title="ERP", type_code="it-integration")
    path = tmp_path / "acties.csv"
    call_command("export_actions", "--output", str(path))
    assert "ERP" in path.read_text()
    with pytest.raises(CommandError) as failed:
        call_command("import_actions", str(path))  # the same open action again: refused
    assert "already has an open action" in str(failed.value)
    bad = tmp_path / "acties.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(CommandError, match="not a CSV or Excel"):
        call_command("import_actions", str(bad))


def test_the_upload_page_lists_the_problems_and_creates_nothing(customers, mira):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mira)
    upload = io.BytesIO(b"customer,action_type,title,owner_email,due_on\nK404,x,,a,b\n")
    upload.name = "acties.csv"
    response = client.post(reverse("actions:import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-problems"' in html and "Row 2" in html
    assert not Action.objects.exists()


def test_the_board_exports_its_actions(customers, mira):
    make_action(customers[0], by=mira, title="ERP", type_code="it-integration")
    client = Client()
    client.force_login(mira)
    response = client.get(reverse("actions:export", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "it-integration" in response.content.decode()
    assert client.get(reverse("actions:export", args=["pdf"])).status_code == 404
