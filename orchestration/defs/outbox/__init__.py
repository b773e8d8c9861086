"""The school outbox: pre-filled return templates and feedback on returns received."""
