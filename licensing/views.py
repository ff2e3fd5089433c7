"""The licence page: tier, usage, expiry; administrators install or replace the key."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.roles import can_manage_licence
from licensing import service
from licensing.forms import InstallLicenceForm
from licensing.tokens import LicenceError


@login_required
def licence_page(request: HttpRequest) -> HttpResponse:
    if not can_manage_licence(request.user):
        raise PermissionDenied("Only administrators manage the licence.")
    form = InstallLicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            licence = service.install(form.cleaned_data["key"])
        except LicenceError as exc:  # pragma: no cover - the form verified it already
            form.add_error("key", str(exc))
        else:
            messages.success(request, f"Installed: {licence.describe()}.")
            return HttpResponseRedirect(reverse("licensing:page"))
    return render(request, "licensing/licence.html", {"form": form, "status": service.status()})
