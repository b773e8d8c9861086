"""The school outbox: pre-filled SRP return templates and feedback on returns received."""
