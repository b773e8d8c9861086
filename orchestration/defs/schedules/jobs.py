from orchestration.jobs import outbox_job, refresh_job  # noqa: F401  (registered with the definitions)
