"""Managers' pages of the welcome series (/manage/onboarding/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.onboarding import actions
from townsquare.onboarding.forms import StepForm
from townsquare.onboarding.models import OnboardingStep
from townsquare.onboarding.queries import LATE_AFTER, steps_with_counts
from townsquare.onboarding.rendering import render_step


def _require(request: HttpRequest) -> None:
    permissions.require(permissions.may_manage_onboarding(request.user))


@login_required
def steps(request: HttpRequest) -> HttpResponse:
    _require(request)
    context = {"steps": list(steps_with_counts()), "late_days": LATE_AFTER.days}
    return render(request, "onboarding/steps.html", context)


@login_required
def step_form(request: HttpRequest, step_id: int | None = None) -> HttpResponse:
    _require(request)
    step = get_object_or_404(OnboardingStep, pk=step_id) if step_id else None
    initial = (
        {field: getattr(step, field) for field in actions.STEP_FIELDS}
        if step
        else {"day_offset": 0, "is_active": True}
    )
    form = StepForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if step is None:
                step = actions.create_step(request.user, **form.cleaned_data)
            else:
                actions.update_step(request.user, step, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The step is saved."))
            return redirect("onboarding:steps")
    status = 400 if request.method == "POST" else 200
    return render(request, "onboarding/step_form.html", {"form": form, "step": step}, status=status)


@login_required
@require_POST
def step_delete(request: HttpRequest, step_id: int) -> HttpResponse:
    _require(request)
    actions.delete_step(request.user, get_object_or_404(OnboardingStep, pk=step_id))
    messages.success(request, _("The step is deleted."))
    return redirect("onboarding:steps")


@login_required
@require_POST
def step_move(request: HttpRequest, step_id: int, direction: str) -> HttpResponse:
    _require(request)
    step = get_object_or_404(OnboardingStep, pk=step_id)
    try:
        actions.move_step(request.user, step, direction)
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("onboarding:steps")


@login_required
def step_preview(request: HttpRequest, step_id: int) -> HttpResponse:
    """The step as the manager would receive it."""
    _require(request)
    step = get_object_or_404(OnboardingStep, pk=step_id)
    try:
        context = render_step(request.user, step)
    except ValueError as error:
        context = {"step": step, "error": str(error)}
    return render(request, "onboarding/step_preview.html", context)


@login_required
@require_POST
def step_test(request: HttpRequest, step_id: int) -> HttpResponse:
    _require(request)
    step = get_object_or_404(OnboardingStep, pk=step_id)
    try:
        actions.send_test(request.user, step)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(
            request, _("A test mail is on its way to %(email)s.") % {"email": request.user.email}
        )
    return redirect("onboarding:step_preview", step_id=step.pk)
