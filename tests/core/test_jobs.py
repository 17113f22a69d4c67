"""The job system in eager mode (no broker): retries, failed jobs, the admin page."""

import base64
import logging
import socket

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import job_tasks
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.celery import app as celery_app
from townsquare.core import jobs
from townsquare.core.models import ActivityEvent, CompletedJob, FailedJob
from townsquare.core.tasks import deliver_email
from townsquare.search.tasks import index_posts


@pytest.fixture(autouse=True)
def _eager(settings):
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.JOBS_BACKOFF_SCALE = 0.001
    yield
    celery_app.conf.task_always_eager = eager


def enqueue_on_commit(task, *args) -> None:
    """As the app queues jobs: after the transaction commits."""
    transaction.on_commit(lambda: task.delay(*args))


def fail_for_good(key: str, django_capture_on_commit_callbacks) -> FailedJob:
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(job_tasks.fails_until_fixed, key)
    return FailedJob.objects.get(task_name=job_tasks.fails_until_fixed.name)


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.JOBS_BACKOFF_SCALE = 1
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = {jobs.backoff_delay(attempt, 10, 60) for _ in range(20)}
        assert all(full / 2 <= delay <= full for delay in delays)
        assert len(delays) > 1  # jitter


def test_a_job_that_fails_then_succeeds_is_retried_and_not_recorded(db, caplog):
    result = job_tasks.flaky.delay("k1", 2)
    assert result.successful() and result.get() == 3
    assert CompletedJob.objects.filter(key="done:k1").exists()
    assert not FailedJob.objects.exists()
    assert caplog.text.count("will retry") == 2


def test_a_job_that_keeps_failing_is_recorded_without_raising(
    db, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(job_tasks.always_fails, "k2")
    failed = FailedJob.objects.get()
    assert failed.task_name == "tests.job_tasks.always_fails"
    assert failed.args == ["k2"] and failed.kwargs == {}
    assert failed.exception_type == "builtins.ConnectionRefusedError"
    assert failed.exception_message == "k2: the service never answers"
    assert "ConnectionRefusedError" in failed.traceback
    assert failed.attempts == 3
    assert failed.status == FailedJob.Status.FAILED
    assert failed.first_failed_at <= failed.last_failed_at
    assert "recorded as a failed job" in caplog.text


def test_a_non_retryable_error_is_recorded_after_one_attempt(db):
    job_tasks.not_retryable.delay("k3")
    failed = FailedJob.objects.get()
    assert failed.exception_type == "builtins.ValueError"
    assert failed.attempts == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mail_that_cannot_be_delivered_does_not_break_the_page(
    settings, member, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "townsquare.core.mail.QueuedEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    failed = FailedJob.objects.get()
    assert failed.task_name == "townsquare.core.tasks.deliver_email"
    assert failed.attempts == 3  # JOBS_EAGER_MAX_ATTEMPTS; a worker would try 13 times
    assert failed.args[2] == [member.email]
    assert failed.exception_type == "builtins.ConnectionRefusedError"


def test_mail_is_sent_once_when_the_job_is_delivered_twice(settings, db):
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = EmailMessage("Hello", "Body", "a@example.com", ["b@example.com"])
    wire = base64.b64encode(message.message().as_bytes()).decode("ascii")
    args = [wire, "a@example.com", ["b@example.com"]]
    # A redelivered message keeps its task id.
    assert deliver_email.apply(args, task_id="same-job").get() == 1
    assert deliver_email.apply(args, task_id="same-job").get() == 0
    assert len(mail.outbox) == 1
    assert deliver_email.apply(args, task_id="another-job").get() == 1
    assert len(mail.outbox) == 2


# --- The management page ------------------------------------------------------------------


def test_admin_sees_the_failed_jobs_newest_first(
    admin_member_client, django_capture_on_commit_callbacks
):
    fail_for_good("first", django_capture_on_commit_callbacks)
    job_tasks.always_fails.delay("second")
    response = admin_member_client.get("/manage/jobs/")
    assert response.status_code == 200
    jobs_shown = list(response.context["page"])
    assert [job.args for job in jobs_shown] == [["second"], ["first"]]
    assert "Failed jobs" in response.text
    filtered = admin_member_client.get("/manage/jobs/", {"task": job_tasks.always_fails.name})
    assert [job.args for job in filtered.context["page"]] == [["second"]]
    detail = admin_member_client.get(f"/manage/jobs/{jobs_shown[1].pk}/")
    assert detail.status_code == 200
    assert "first is still broken" in detail.text
    assert "TimeoutError" in detail.text


def test_the_list_takes_a_fixed_number_of_queries(admin_member_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_member_client.get("/manage/jobs/").status_code == 200
        return len(queries)

    job_tasks.always_fails.delay("a")
    count()  # the first visit of the day writes more (last seen, activity)
    few = count()
    for key in "bcdefgh":
        job_tasks.always_fails.delay(key)
        job_tasks.not_retryable.delay(key)
    assert count() == few


def test_retry_from_the_page_runs_the_job_again(
    admin_member, admin_member_client, django_capture_on_commit_callbacks
):
    failed = fail_for_good("k4", django_capture_on_commit_callbacks)
    CompletedJob.objects.create(key="fixed:k4")  # the cause is gone
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_member_client.post(f"/manage/jobs/{failed.pk}/retry/")
    assert response.status_code == 302
    assert CompletedJob.objects.filter(key="done:k4").exists()
    failed.refresh_from_db()
    assert failed.status == FailedJob.Status.RESOLVED
    assert failed.times_retried == 1 and failed.resolved_at is not None
    event = ActivityEvent.objects.get(verb="job.retried")
    assert event.actor == admin_member
    assert event.data["task"] == job_tasks.fails_until_fixed.name


def test_a_retried_job_that_fails_again_updates_its_entry(
    admin_member_client, django_capture_on_commit_callbacks
):
    failed = fail_for_good("k5", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        admin_member_client.post(f"/manage/jobs/{failed.pk}/retry/")
    assert FailedJob.objects.count() == 1
    failed.refresh_from_db()
    assert failed.status == FailedJob.Status.FAILED
    assert failed.attempts == 6 and failed.times_retried == 1
    assert failed.last_failed_at > failed.first_failed_at


def test_dismiss(admin_member, admin_member_client, django_capture_on_commit_callbacks):
    failed = fail_for_good("k6", django_capture_on_commit_callbacks)
    response = admin_member_client.post(f"/manage/jobs/{failed.pk}/dismiss/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == FailedJob.Status.DISMISSED
    assert ActivityEvent.objects.get(verb="job.dismissed").actor == admin_member
    assert admin_member_client.get("/manage/jobs/").context["page"].object_list.count() == 0
    shown = admin_member_client.get("/manage/jobs/", {"status": "dismissed"})
    assert [job.pk for job in shown.context["page"]] == [failed.pk]
    # Dismissed twice: refused, nothing recorded.
    admin_member_client.post(f"/manage/jobs/{failed.pk}/dismiss/")
    assert ActivityEvent.objects.filter(verb="job.dismissed").count() == 1


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR, Role.MANAGER])
def test_only_admins_reach_failed_jobs(role, guidelines, django_capture_on_commit_callbacks):
    failed = fail_for_good("k7", django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(make_member("someone", guidelines, role=role))
    assert client.get("/manage/jobs/").status_code == 403
    assert client.get(f"/manage/jobs/{failed.pk}/").status_code == 403
    assert client.post(f"/manage/jobs/{failed.pk}/retry/").status_code == 403
    assert client.post(f"/manage/jobs/{failed.pk}/dismiss/").status_code == 403
    anonymous = Client().get("/manage/jobs/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.url
    failed.refresh_from_db()
    assert failed.status == FailedJob.Status.FAILED and failed.times_retried == 0


def test_retry_needs_the_csrf_token(admin_member, django_capture_on_commit_callbacks):
    failed = fail_for_good("k8", django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_member)
    assert client.post(f"/manage/jobs/{failed.pk}/retry/").status_code == 403
    page = client.get(f"/manage/jobs/{failed.pk}/")
    token = page.context["csrf_token"]
    assert (
        client.post(f"/manage/jobs/{failed.pk}/retry/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert (
        client.post(
            f"/manage/jobs/{failed.pk}/explode/", {"csrfmiddlewaretoken": token}
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_without_a_broker_jobs_run_in_process_on_the_in_memory_transport(caplog):
    assert celery_app.conf.task_always_eager
    with caplog.at_level(logging.WARNING, logger="kombu"):
        connection_for_write = celery_app.connection_for_write()
        assert (connection_for_write.transport_cls, connection_for_write.hostname) == (
            "memory",
            "localhost",
        )
        assert index_posts.delay([]).get() == 0
    # kombu warned "No hostname was supplied" in every process that ran a job.
    assert not [record for record in caplog.records if record.name.startswith("kombu")]
