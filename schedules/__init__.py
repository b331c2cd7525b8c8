"""Timed jobs (weekly digest, overdue escalation, reminders) live here.

Nothing is scheduled yet: the roadmap's schedules issue adds restart-safe jobs that each claim a
(job, period) row. Jobs will take the injected clock and the database, never `telegram`.
"""
