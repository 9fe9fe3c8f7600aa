"""The users of the load test (benchmarks/bench_load.py), for locust.

Not run on its own: bench_load.py prepares the portfolio, signs the users in (one session
each), writes the plan (``KB_LOAD_PLAN``: sessions, CSRF secrets, each user's customers and the
matrix's element codes) and starts locust with one phase's user classes:

- ``AccountManager``: the day of an account manager, one request every 5 s (after the answer):
  the own customer list, a customer's page, its matrix, 12 live previews while the matrix is
  filled in (each with one more row chosen), the submit and the result page; then the next
  customer. Each user starts at another step of that round, so a minute holds every step as a
  team at work does (starting all at the list would leave the submits out of the minute).
- ``DashboardManager``: management on the dashboard, one request every 5 s, in turn without a
  filter, for one account manager, one band and one sector (each filter set is cached apart).
- ``SignIn``: the floor, the sign-in page (a form, no data) under the same sessions and pace;
  ``SignInFlat``: the same without a pause, for what the server serves of a trivial page.

Every request's time is written to ``KB_LOAD_SAMPLES`` (JSON) when locust quits, so the
benchmark computes its own percentiles per user class and per step.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["KB_LOAD_PLAN"]).read_text())
PAUSE = float(PLAN.get("pause", 5.0))
SAMPLES: list[tuple[str, str, float, float, bool]] = []  # class, step, end, ms, ok
_slots: dict[str, itertools.count] = {}


def _slot(kind: str) -> int:
    """The next free session of this kind (each user signs in as its own session)."""
    return next(_slots.setdefault(kind, itertools.count()))


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any, context: dict, **_: Any) -> None:
    SAMPLES.append(
        (context.get("kind", "?"), name, time.time(), float(response_time), exception is None)
    )


@events.quitting.add_listener
def _dump(**_: Any) -> None:
    with open(os.environ["KB_LOAD_SAMPLES"], "w") as out:
        json.dump(SAMPLES, out)


class _Signed(HttpUser):
    """A signed-in user: the session and CSRF cookies of one prepared session."""

    abstract = True
    wait_time = constant(PAUSE)
    kind = ""
    sessions = ""  # the plan's list of sessions this class draws from

    def on_start(self) -> None:
        sessions = PLAN[self.sessions]
        self.session = sessions[_slot(self.sessions) % len(sessions)]
        self.client.cookies.set("sessionid", self.session["sessionid"])
        self.client.cookies.set("csrftoken", PLAN["csrf"])
        self.client.headers["Accept-Language"] = "nl"
        gevent.sleep(random.uniform(0, PAUSE))  # arrive spread over the first pause

    def context(self) -> dict[str, str]:
        return {"kind": self.kind}

    def expect(self, response: Any, status: int, marker: str = "") -> None:
        """Count a wrong status, or a page without ``marker``, as an error."""
        if response.status_code != status:
            response.failure(f"status {response.status_code}, expected {status}")
        elif marker and marker not in response.text:
            response.failure(f"{marker!r} not on the page")
        else:
            response.success()


class AccountManager(_Signed):
    """List → customer page → matrix → 12 live previews → submit → result, 5 s apart."""

    kind = "account manager"
    sessions = "account_managers"
    fixed_count = int(PLAN.get("account_managers_count", 0))
    previews = 12

    def on_start(self) -> None:
        super().on_start()
        self.customers = itertools.cycle(self.session["customers"])
        self.customer = next(self.customers)
        self.codes: list[str] = PLAN["element_codes"]
        self.steps = self.previews + 5
        self.step = self.session["start_step"] % self.steps
        self.key = str(uuid.uuid4())
        self.result_url = ""

    def _values(self, rows: int) -> dict[str, str]:
        data = {"csrfmiddlewaretoken": PLAN["csrf"], "submission_key": self.key, "comment": ""}
        for index, code in enumerate(self.codes[:rows]):
            data[f"value_{code}"] = str((index + self.customer) % 7)
        return data

    @task
    def next_step(self) -> None:
        step, pk = self.step, self.customer
        matrix = f"/customers/{pk}/matrix/"
        if step == 0:
            with self.client.get("/customers/", name="list", catch_response=True) as r:
                self.expect(r, 200, "<table")
        elif step == 1:
            page = f"/customers/{pk}/"
            with self.client.get(page, name="customer page", catch_response=True) as r:
                self.expect(r, 200, "matrix")
        elif step == 2:
            self.key = str(uuid.uuid4())
            with self.client.get(matrix, name="matrix", catch_response=True) as r:
                self.expect(r, 200, "matrix-form")
        elif step < 3 + self.previews:
            rows = -(-(step - 2) * len(self.codes) // self.previews)  # ceil: the last has all
            with self.client.post(
                matrix + "preview/",
                self._values(rows),
                name="live preview",
                headers={"X-Requested-With": "fetch"},
                catch_response=True,
            ) as r:
                self.expect(r, 200, "binding_score")
        elif step == 3 + self.previews:
            with self.client.post(
                matrix,
                self._values(len(self.codes)),
                name="submit",
                allow_redirects=False,
                catch_response=True,
            ) as r:
                self.result_url = r.headers.get("Location", "")
                if r.status_code == 302 and "/result/" not in self.result_url:
                    r.failure(f"submit went to {self.result_url!r}")
                else:
                    self.expect(r, 302)
        else:
            if self.result_url:
                with self.client.get(self.result_url, name="result", catch_response=True) as r:
                    self.expect(r, 200)
            self.customer = next(self.customers)
        self.step = (step + 1) % self.steps


class DashboardManager(_Signed):
    """The dashboard, 5 s apart, in turn without a filter and with one of three filters."""

    kind = "dashboard"
    sessions = "managers"
    fixed_count = int(PLAN.get("dashboard_count", 0))

    def on_start(self) -> None:
        super().on_start()
        self.filters = itertools.cycle(PLAN["dashboard_filters"])
        for _ in range(self.session["start_step"] % len(PLAN["dashboard_filters"])):
            next(self.filters)

    @task
    def dashboard(self) -> None:
        query = next(self.filters)
        with self.client.get(
            "/dashboard/" + (f"?{query}" if query else ""), name="dashboard", catch_response=True
        ) as r:
            self.expect(r, 200, "<main")


class SignIn(_Signed):
    """The floor: the sign-in page under the same sessions and pace."""

    kind = "sign-in"
    sessions = "everyone"

    @task
    def sign_in(self) -> None:
        with self.client.get("/accounts/login/", name="sign-in", catch_response=True) as r:
            self.expect(r, 200, "password")


class SignInFlat(SignIn):
    """The sign-in page without a pause: how many a second the server serves at most."""

    kind = "sign-in, no pause"
    wait_time = constant(0)

    def on_start(self) -> None:
        sessions = PLAN[self.sessions]
        self.session = sessions[_slot("flat") % len(sessions)]
        self.client.cookies.set("sessionid", self.session["sessionid"])
        self.client.headers["Accept-Language"] = "nl"
