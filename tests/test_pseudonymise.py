"""Keyed pseudonyms and the rule for which key may be used on which data."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from orchestration.pseudonymise import (
    DEV_KEY, KEY_ENV, SAMPLE_MARKER, PseudonymKeyError, pseudonym, register_udf, resolve_key,
)


@pytest.fixture
def real_landing(tmp_path):
    return tmp_path


@pytest.fixture
def sample_landing(tmp_path):
    (tmp_path / SAMPLE_MARKER).write_text("{}")
    return tmp_path


def test_pseudonym_is_truncated_hmac_sha256_of_kind_and_value():
    expected = hmac.new(b"k" * 20, b"person:123", hashlib.sha256).hexdigest()[:32]
    assert pseudonym("k" * 20, "person", "123") == expected
    assert pseudonym("k" * 20, "person", " 123 ") == expected


def test_pseudonym_depends_on_key_and_kind_and_ignores_upn_case():
    assert pseudonym("a" * 20, "person", "1") != pseudonym("b" * 20, "person", "1")
    assert pseudonym("a" * 20, "person", "1") != pseudonym("a" * 20, "plan", "1")
    assert pseudonym("a" * 20, "upn", "a886123456789") == pseudonym("a" * 20, "upn", "A886123456789")
    assert pseudonym("a" * 20, "upn", None) is None
    assert pseudonym("a" * 20, "upn", "  ") is None


def test_sample_data_may_use_the_development_key(sample_landing, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert resolve_key(sample_landing) == DEV_KEY
    monkeypatch.setenv(KEY_ENV, DEV_KEY)
    assert resolve_key(sample_landing) == DEV_KEY


def test_real_data_refuses_a_missing_key(real_landing, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PseudonymKeyError, match="is not set .* holds real data"):
        resolve_key(real_landing)


def test_real_data_refuses_the_development_key(real_landing, monkeypatch):
    monkeypatch.setenv(KEY_ENV, DEV_KEY)
    with pytest.raises(PseudonymKeyError, match="published development key"):
        resolve_key(real_landing)


def test_real_data_refuses_a_short_key_and_accepts_a_long_one(real_landing, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PseudonymKeyError, match="too short"):
        resolve_key(real_landing)
    monkeypatch.setenv(KEY_ENV, "a-long-secret-kept-in-a-vault")
    assert resolve_key(real_landing) == "a-long-secret-kept-in-a-vault"


def test_duckdb_udf_matches_python():
    con = duckdb.connect()
    register_udf(con, "k" * 20)
    got = con.execute("select send_pseudonym('person', '123'), send_pseudonym('upn', null)").fetchone()
    assert got == (pseudonym("k" * 20, "person", "123"), None)
