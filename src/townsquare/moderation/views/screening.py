"""Staff pages of the screening rules (/moderation/words/, /moderation/domains/,
/moderation/approval/) and the members' list of their posts waiting for approval."""

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import Role
from townsquare.core import permissions
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.forum.rendering import render_post
from townsquare.moderation import screening
from townsquare.moderation.actions import queue, rules
from townsquare.moderation.models import BlockedDomain, MatchKind, WatchedWord, WordAction
from townsquare.moderation.queries import moderation_settings

IMPORT_MAX_BYTES = 1024 * 1024


class WatchedWordForm(forms.Form):
    pattern = forms.CharField(label=gettext_lazy("Word, phrase or pattern"), max_length=200)
    match = forms.ChoiceField(
        label=gettext_lazy("Match"), choices=MatchKind.choices, initial=MatchKind.WHOLE
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=WordAction.choices)
    replacement = forms.CharField(
        label=gettext_lazy("Replace with"), max_length=200, required=False
    )


class TestTextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=32000
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Columns: pattern, match, action, replacement."),
    )


class DomainForm(forms.Form):
    domain = forms.CharField(label=gettext_lazy("Domain"), max_length=300)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class ApprovalForm(forms.Form):
    approve_first_posts = forms.IntegerField(
        label=gettext_lazy("First posts of a new account that wait for approval"),
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("0: new accounts post at once."),
    )


def _require(request: HttpRequest) -> None:
    permissions.require(permissions.may_manage_defences(request.user))


def _words_page(request: HttpRequest, **context) -> HttpResponse:
    context.setdefault("form", WatchedWordForm())
    context.setdefault("test_form", TestTextForm())
    context.setdefault("import_form", ImportForm())
    context["words"] = WatchedWord.objects.select_related("created_by")
    status = 400 if any(f.errors for f in context.values() if isinstance(f, forms.Form)) else 200
    return render(request, "moderation/words.html", context, status=status)


@login_required
def words(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = WatchedWordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            word = rules.add_watched_word(request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("“%(word)s” is watched.") % {"word": word.pattern})
            return redirect("moderation:words")
    return _words_page(request, form=form)


@login_required
@require_POST
def word_delete(request: HttpRequest, word_id: int) -> HttpResponse:
    _require(request)
    word = get_object_or_404(WatchedWord, pk=word_id)
    rules.remove_watched_word(request.user, word)
    messages.success(request, _("“%(word)s” is no longer watched.") % {"word": word.pattern})
    return redirect("moderation:words")


@login_required
@require_POST
def words_test(request: HttpRequest) -> HttpResponse:
    """What would happen to a text written by a new member: nothing is stored."""
    _require(request)
    test_form = TestTextForm(request.POST)
    result = None
    if test_form.is_valid():
        text = test_form.cleaned_data["text"]
        # As a brand-new member would write it (staff are not screened).
        probe = copy.copy(request.user)
        probe.role, probe.trust_level, probe.date_joined = Role.MEMBER, 0, timezone.now()
        result = screening.evaluate(
            probe, text=text, kind=screening.REPLY, cooked=render_post(text)
        )
    return _words_page(request, test_form=test_form, result=result)


@login_required
@require_GET
def words_export(request: HttpRequest) -> HttpResponse:
    _require(request)
    response = HttpResponse(
        "".join(rules.export_watched_words()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="watched-words-{timezone.now():%Y-%m-%d}.csv"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def words_import(request: HttpRequest) -> HttpResponse:
    _require(request)
    import_form = ImportForm(request.POST, request.FILES)
    if import_form.is_valid():
        upload = import_form.cleaned_data["file"]
        try:
            if upload.size > IMPORT_MAX_BYTES:
                raise ValidationError(_("The file is larger than 1 MB."))
            try:
                content = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text.")) from None
            added, skipped = rules.import_watched_words(request.user, content)
        except ValidationError as error:
            apply_errors(import_form, error)
        else:
            messages.success(
                request,
                _("Added: %(added)d. Already watched: %(skipped)d.")
                % {"added": added, "skipped": skipped},
            )
            return redirect("moderation:words")
    return _words_page(request, import_form=import_form)


@login_required
def domains(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blocked = rules.add_blocked_domain(request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            name = screening.display_domain(blocked.domain)
            messages.success(request, _("Links to “%(domain)s” are blocked.") % {"domain": name})
            return redirect("moderation:domains")
    blocked_domains = [
        (item, screening.display_domain(item.domain))
        for item in BlockedDomain.objects.select_related("created_by")
    ]
    status = 400 if form.errors else 200
    return render(
        request,
        "moderation/domains.html",
        {"form": form, "blocked_domains": blocked_domains},
        status=status,
    )


@login_required
@require_POST
def domain_delete(request: HttpRequest, domain_id: int) -> HttpResponse:
    _require(request)
    rules.remove_blocked_domain(request.user, get_object_or_404(BlockedDomain, pk=domain_id))
    messages.success(request, _("The domain is no longer blocked."))
    return redirect("moderation:domains")


@login_required
def approval(request: HttpRequest) -> HttpResponse:
    _require(request)
    current = moderation_settings()
    form = ApprovalForm(
        request.POST or None, initial={"approve_first_posts": current.approve_first_posts}
    )
    if request.method == "POST" and form.is_valid():
        try:
            rules.update_moderation_settings(request.user, **form.cleaned_data)
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("The approval settings are saved."))
            return redirect("moderation:approval")
    return render(request, "moderation/approval.html", {"form": form})


@login_required
def waiting(request: HttpRequest) -> HttpResponse:
    """The member's own posts waiting for a moderator: nothing they wrote is lost."""
    items = queue.pending_for(request.user)
    return render(request, "moderation/waiting.html", {"items": items})
