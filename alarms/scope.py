"""The alarms a user sees: those of the UPSs in their scope (accounts.roles). Used by the
history, detail, acknowledge and export views and by the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import restrict, restrict_by_ups
from alarms.filters import AlarmFilterForm
from alarms.models import Alarm


def visible_alarms(user: Any) -> QuerySet[Alarm]:
    """The alarms of the UPSs the user sees (`ups_id IN (...)`: the alarm indexes serve
    it, where a join through UPS and site would not)."""
    return restrict_by_ups(user, Alarm.objects.all())


def scoped_form(form: AlarmFilterForm, user: Any) -> AlarmFilterForm:
    """The filter form offering only the sites and UPSs the user sees: another site's
    id is then an invalid choice, like an id that does not exist."""
    site: Any = form.fields["site"]
    ups: Any = form.fields["ups"]
    site.queryset = restrict(user, site.queryset, "")
    ups.queryset = restrict(user, ups.queryset, "site")
    return form
