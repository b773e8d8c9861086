from orchestration.jobs import refresh_job  # noqa: F401  (registered with the definitions)
