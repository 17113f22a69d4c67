"""Moderation, trust and safety: flags and the review queue, sanctions and notices, trust
levels, content screening (watched words, blocked domains, spam score), and the audit log."""
