"""``Hidden``: who the report leaves out, decided once from the ignore rules and the snoozes in
force, and handed to the model and every summary section."""

from __future__ import annotations

from datetime import timedelta

from daemon.config import Config, IgnoreSettings, Person
from daemon.model.hidden import Hidden
from daemon.store import snoozes

from helpers.model import AS_OF


def test_ignored_wins_over_snoozed_and_the_snooze_end_is_kept() -> None:
    until = AS_OF + timedelta(days=9)
    hidden = Hidden(IgnoreSettings(domains=("noise.com",)),
                    {"a@noise.com": None, "b@x.com": until})
    assert hidden.why(["a@noise.com"]) == "ignored"
    assert hidden.why(["c@x.com", "b@x.com"]) == "snoozed"
    assert hidden.until(["c@x.com", "b@x.com"]) == until
    assert hidden.why(["c@x.com"]) is None and not hidden("c@x.com")
    assert hidden("a@noise.com") and hidden("b@x.com")


def test_one_address_of_a_people_group_hides_the_whole_person() -> None:
    people = (Person(name="Ann", addresses=("ann@work.com", "Ann@Home.com")),)
    hidden = Hidden(snoozed={"ann@home.com": None}, people=people)
    assert hidden("ann@work.com") and hidden("ann@home.com")
    assert not Hidden(people=people)("ann@work.com")


def test_at_reads_the_snoozes_in_force_from_the_store(store) -> None:  # type: ignore[no-untyped-def]
    snoozes.add(store, "on@x.com", AS_OF + timedelta(days=1))
    snoozes.add(store, "ended@x.com", AS_OF - timedelta(days=1))
    snoozes.add(store, "ends-now@x.com", AS_OF)
    hidden = Hidden.at(store, Config(), AS_OF)
    assert hidden("on@x.com")
    assert not hidden("ended@x.com") and not hidden("ends-now@x.com")
