"""The survey questions' forms: the NPS panel (home and latest pages) and the CSAT question
on a solved Q&A topic. Plain POST forms; with htmx the panel is swapped in place."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.forum.models import Topic
from townsquare.forum.views.common import topic_or_404
from townsquare.surveys import actions, queries
from townsquare.surveys.forms import AnswerForm
from townsquare.surveys.models import Kind


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _submit(
    request: HttpRequest, kind: str, context: str, default_next: str, topic: Topic | None = None
) -> HttpResponse:
    """Answer or dismiss; on an error the question again, with what was picked."""
    template = "surveys/_nps_prompt.html" if kind == Kind.NPS else "surveys/_csat_prompt.html"
    form = AnswerForm(request.POST, kind=kind)
    thanks = ""
    if form.is_valid():
        try:
            if form.dismissing:
                actions.dismiss(request.user, kind, context=context)
                thanks = _("Thank you. We will not ask again for a while.")
            else:
                data = form.cleaned_data
                actions.answer(request.user, kind, data["score"], data["comment"], context=context)
                thanks = _("Thank you for your answer.")
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
    context_data = {
        "form": form,
        "due": not thanks,
        "topic": topic,
        "next": _next(request, default_next),
    }
    if request.htmx:
        if thanks:
            return render(request, "surveys/_thanks.html", {"thanks": thanks, "kind": kind})
        # 200, not 400: htmx swaps only successful answers into the page.
        return render(request, template, context_data)
    if thanks:
        messages.success(request, thanks)
        return redirect(context_data["next"])
    return render(request, "surveys/answer.html", context_data | {"template": template}, status=400)


@login_required
def nps(request: HttpRequest) -> HttpResponse:
    """GET: the question on a page of its own (for a link in a mail); POST: the answer."""
    if request.method == "POST":
        return _submit(request, Kind.NPS, "prompt", "/")
    if not queries.nps_prompt_due(request.user):
        messages.info(request, _("There is no question for you at the moment."))
        return redirect("home")
    context = {
        "form": AnswerForm(kind=Kind.NPS),
        "due": True,
        "next": _next(request, "/"),
        "template": "surveys/_nps_prompt.html",
    }
    return render(request, "surveys/answer.html", context)


@login_required
def csat(request: HttpRequest, topic_id: int) -> HttpResponse:
    """The asker's rating of the answer to their solved question (POST only)."""
    topic = topic_or_404(request, topic_id)
    if request.method != "POST":
        return redirect(topic.get_absolute_url())
    permissions.require(permissions.may_rate_answer(request.user, community_for(request), topic))
    context = queries.topic_context(topic)
    return _submit(request, Kind.CSAT, context, topic.get_absolute_url(), topic)
