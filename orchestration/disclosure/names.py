"""Where the release is written and how its hidden cells are marked: the names other modules
(publication, report) read without importing the release engine and its solver."""

RELEASE_SCHEMA = "external"
AUDIT_TABLE = "release_audit"
FLAG_SUFFIX = "_flag"
HIDDEN, NOT_AVAILABLE, NOT_APPLICABLE = "c", "x", "z"
