from __future__ import annotations

from django import forms

from licensing.keys import verifying_keys
from licensing.tokens import Licence, LicenceError, verify


class InstallLicenceForm(forms.Form):
    key = forms.CharField(
        label="Licence key",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80, "spellcheck": "false"}),
        max_length=4000,
        help_text="Paste the whole key, starting with UNMS1. Line breaks are ignored.",
    )

    def clean_key(self) -> str:
        from django.utils import timezone

        key: str = self.cleaned_data["key"]
        try:
            self.licence: Licence = verify(key, verifying_keys(), timezone.localdate())
        except LicenceError as exc:
            raise forms.ValidationError(str(exc), code="invalid_licence") from None
        return key
