"""The audit log is append-only at the database too, not only in the ORM: triggers refuse
DELETE, and refuse UPDATE except two: the one Django makes itself when an account or a
content type is deleted (``actor_id`` / ``target_type_id`` set to NULL), and the erasure of
a deleted member's name from the labels (``audit.forget_member`` rewrites ``actor_label`` /
``target_label`` to "member #42"). What was done, to what, when, why, before and after
never change.

Installed by migration 0004. Caveat (SQLite): a later migration that rebuilds the
moderation_auditentry table drops its triggers; such a migration must call ``install``
again (tests/moderation/test_audit_log.py fails if they are missing).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

MESSAGE = "The audit log is append-only."

_SQLITE = [
    f"""
    CREATE TRIGGER moderation_auditentry_no_delete BEFORE DELETE ON moderation_auditentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    # Every column but the foreign keys and labels must stay as it was; the foreign keys may
    # only become NULL.
    f"""
    CREATE TRIGGER moderation_auditentry_no_update BEFORE UPDATE ON moderation_auditentry
    WHEN NOT (
        NEW.id IS OLD.id AND NEW.created_at IS OLD.created_at
        AND NEW.action IS OLD.action AND NEW.target_id IS OLD.target_id
        AND NEW.reason IS OLD.reason AND NEW."before" IS OLD."before"
        AND NEW."after" IS OLD."after"
        AND (NEW.actor_id IS OLD.actor_id OR NEW.actor_id IS NULL)
        AND (NEW.target_type_id IS OLD.target_type_id OR NEW.target_type_id IS NULL)
    )
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS moderation_auditentry_no_delete",
    "DROP TRIGGER IF EXISTS moderation_auditentry_no_update",
]

# to_jsonb(row) minus the foreign keys and labels: a column added later is guarded as well.
_POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION moderation_auditentry_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           OR to_jsonb(NEW) - 'actor_id' - 'target_type_id' - 'actor_label' - 'target_label'
              IS DISTINCT FROM
              to_jsonb(OLD) - 'actor_id' - 'target_type_id' - 'actor_label' - 'target_label'
           OR (NEW.actor_id IS DISTINCT FROM OLD.actor_id AND NEW.actor_id IS NOT NULL)
           OR (NEW.target_type_id IS DISTINCT FROM OLD.target_type_id
               AND NEW.target_type_id IS NOT NULL)
        THEN
            RAISE EXCEPTION '{MESSAGE}';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER moderation_auditentry_append_only
    BEFORE UPDATE OR DELETE ON moderation_auditentry
    FOR EACH ROW EXECUTE FUNCTION moderation_auditentry_append_only()
    """,
]
_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS moderation_auditentry_append_only ON moderation_auditentry",
    "DROP FUNCTION IF EXISTS moderation_auditentry_append_only()",
]


def _run(connection: BaseDatabaseWrapper, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def install(connection: BaseDatabaseWrapper) -> None:
    _run(connection, {"sqlite": _SQLITE, "postgresql": _POSTGRESQL})


def uninstall(connection: BaseDatabaseWrapper) -> None:
    _run(connection, {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRESQL_DROP})
