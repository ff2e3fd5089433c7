"""The UPS form shared by the admin and the CSV import, so both apply the same rules.

SNMP communities are secrets (a read community is often also the write one on cheap
cards): they are write-only here. The form never renders them back, an empty value on
edit keeps the stored one, and no error message quotes them.
"""

from __future__ import annotations

from typing import Any

from django import forms

from monitoring.models import Ups
from monitoring.profiles import get_profile, profile_names

#: Fields that hold secrets: write-only in forms, never listed, searched or filtered on.
SECRET_FIELDS = ("community", "trap_community")

_KEEP_HELP = "Stored and never shown. Leave empty to keep the stored value."


class SecretField(forms.CharField):
    """A write-only text field: a password input that is never filled in."""

    def __init__(self, **kwargs: Any) -> None:
        # new-password: browsers must not autofill the admin's login password here.
        kwargs.setdefault(
            "widget",
            forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )
        super().__init__(**kwargs)

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Empty means "keep", so only a typed value is a change (admin history, import).
        return bool(data) and super().has_changed(initial, data)


def _profile_choices() -> list[tuple[str, str]]:
    # Callable, so profiles registered after import time show up too.
    # Empty = detect on the next poll (sysObjectID, then probing; docs/profiles.md).
    return [("", "Detect automatically")] + [
        (
            name,
            f"{name}: {get_profile(name).description}" if get_profile(name).description else name,
        )
        for name in profile_names()
    ]


class UpsForm(forms.ModelForm):
    community = SecretField(
        label="Community",
        max_length=255,
        help_text="SNMP read community. Required. Stored and never shown again.",
    )
    trap_community = SecretField(
        label="Trap community",
        max_length=255,
        required=False,
        help_text="Community of the card's traps. Empty: the read community.",
    )
    clear_trap_community = forms.BooleanField(
        label="Clear the trap community",
        required=False,
        help_text="Traps then use the read community.",
    )
    profile = forms.ChoiceField(
        choices=_profile_choices, required=False, help_text=Ups._meta.get_field("profile").help_text
    )

    class Meta:
        model = Ups
        # Listed, not "__all__": a new model field must not appear in the admin (or take
        # its value from an import) before someone decides it should.
        fields: tuple[str, ...] = (
            "name",
            "site",
            "enabled",
            "notes",
            "host",
            "port",
            "snmp_version",
            "community",
            "trap_community",
            "poll_interval_s",
            "profile",
            "profile_overrides",
            "threshold_overrides",
            "model",
            "serial_number",
            "rated_va",
            "installed_on",
            "battery_installed_on",
        )
        error_messages = {
            # Django's default quotes the submitted value, which may be a community
            # typed into the wrong column of a spreadsheet.
            "snmp_version": {"invalid_choice": "Select a valid SNMP version: 1 or 2c."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        # Captured before construct_instance() overwrites the instance during validation.
        self._stored = {name: getattr(self.instance, name) for name in SECRET_FIELDS}
        self._stored_enabled: bool | None = self.instance.enabled if self.editing else None
        for name in SECRET_FIELDS:
            if name in self.fields:
                # Nothing to prefill: the widget would not render it anyway.
                self.initial.pop(name, None)
        if self.editing and "community" in self.fields:
            self.fields["community"].required = False
            self.fields["community"].help_text = "SNMP read community. " + _KEEP_HELP
        if self.editing and "trap_community" in self.fields:
            self.fields["trap_community"].help_text = (
                "Community of the card's traps. "
                + _KEEP_HELP
                + " Tick 'clear' to use the read one."
            )
        if not self.editing:
            self.fields.pop("clear_trap_community", None)

    def clean_profile_overrides(self) -> dict[str, Any]:
        return self._json_object("profile_overrides")

    def clean_threshold_overrides(self) -> dict[str, Any]:
        return self._json_object("threshold_overrides")

    def _json_object(self, name: str) -> dict[str, Any]:
        # The model stores {} for "none" (the column is NOT NULL) and its clean() expects a
        # mapping; a JSON list or number is a typing mistake, reported here.
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Enter a JSON object, e.g. {"load_warning_pct": 70}.')
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._check_licence(bool(cleaned.get("enabled")))
        if not self.editing:
            return cleaned
        for name in SECRET_FIELDS:
            if name in self.fields and not cleaned.get(name) and name not in self.errors:
                cleaned[name] = self._stored[name]
        if cleaned.get("clear_trap_community"):
            if self.data.get(self.add_prefix("trap_community")):
                self.add_error(
                    "clear_trap_community",
                    "Either type a new trap community or clear it, not both.",
                )
            else:
                cleaned["trap_community"] = ""
        return cleaned

    def _check_licence(self, enabled: bool) -> None:
        # Adding or enabling a UPS needs room in the licence (docs/licensing.md). Checked
        # here so the admin shows a form error and the import a rejected row; the check
        # locks the licence row until the caller's transaction ends (race-safe), and a
        # model-level guard (licensing.enforcement) covers paths without this form.
        from licensing.enforcement import check_form

        try:
            check_form(self.instance, enabled, self._stored_enabled)
        except forms.ValidationError as exc:
            self.add_error("enabled" if "enabled" in self.fields else None, exc)
