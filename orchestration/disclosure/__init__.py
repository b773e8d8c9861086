"""Disclosure control (docs/DISCLOSURE.md): the one declaration of every gold column's
disclosure role and every gold table's additive structure (`declarations`), the check of that
structure against the data (`structure`) and the audit of a release (`audit`)."""
