"""Event pages, one module per topic. Thin: the policy decides, the action modules
(events.actions, registrations, series, proposals, calendars) change, events.queries reads."""
