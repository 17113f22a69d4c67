"""Every write of the moderation app, one module per topic. Each action asks the policy,
validates, writes in one transaction and leaves exactly one audit entry
(moderation.audit.record)."""
