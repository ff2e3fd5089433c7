"""Per-user console preferences: theme, default view, which values the tiles show."""

from __future__ import annotations

from typing import Any

from django import forms

from monitoring.models import TILE_VALUES, DefaultView, Site, Theme, UserPreference


def preference_for(user: Any) -> UserPreference:
    """The user's preferences, unsaved defaults for a user who never chose any (and for
    anonymous users on the login page)."""
    if not getattr(user, "is_authenticated", False):
        return UserPreference()
    cached = getattr(user, "_console_preference", None)
    if cached is None:
        cached = UserPreference.objects.filter(user=user).first() or UserPreference(user=user)
        user._console_preference = cached  # one query per request, however many calls
    return cached


class PreferenceForm(forms.ModelForm):  # type: ignore[type-arg]
    columns = forms.MultipleChoiceField(
        choices=list(TILE_VALUES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Values shown on tiles",
    )
    theme = forms.ChoiceField(choices=Theme.choices, widget=forms.RadioSelect)
    default_view = forms.ChoiceField(
        choices=DefaultView.choices, widget=forms.RadioSelect, label="Start page"
    )
    default_map = forms.ModelChoiceField(
        queryset=Site.objects.order_by("name"),
        required=False,
        label="Site map for the start page",
    )

    class Meta:
        model = UserPreference
        fields = ["theme", "default_view", "default_map", "columns"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            # Only the sites the user may see (accounts.roles scope).
            from accounts.roles import visible_sites

            field = self.fields["default_map"]
            field.queryset = visible_sites(user).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("default_view") == DefaultView.MAP and not data.get("default_map"):
            self.add_error("default_map", "Choose the site whose map opens first.")
        return data
