"""Alert sensors (sensors.py): email and webhook alerts for failed runs and failed or warning
checks. Loaded with every other defs module by orchestration/definitions.py."""
