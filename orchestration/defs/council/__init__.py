"""The council configuration as warehouse tables (council.*), read by dbt as sources."""
