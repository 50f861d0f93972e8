"""The vault: a ciphertext opens only with its own person's key, for its own field, under the right key."""

from __future__ import annotations

import base64
import os
import uuid

import pytest

from services.intake.vault import DataKeyError, Unreadable, Vault
from shared.settings import ServiceSettings


def test_a_field_opens_only_with_its_own_persons_key_and_only_as_the_same_field() -> None:
    vault = Vault(os.urandom(32))
    anna, bert = uuid.uuid4(), uuid.uuid4()
    [(anna_key, anna_wrapped), (bert_key, _)] = vault.new_keys([anna, bert])
    sealed = anna_key.seal("name", "Anna de Wit")
    assert sealed is not None
    assert b"Anna" not in sealed
    assert vault.unwrap(anna, anna_wrapped.wrapped).open("name", sealed) == "Anna de Wit"
    assert anna_key.seal("email", None) is None
    assert anna_key.open("email", None) is None
    with pytest.raises(Unreadable):
        bert_key.open("name", sealed)
    with pytest.raises(Unreadable):
        anna_key.open("email", sealed)  # moved to another field
    with pytest.raises(Unreadable):
        vault.unwrap(bert, anna_wrapped.wrapped)  # a wrapped key moved to another person
    with pytest.raises(Unreadable):
        Vault(os.urandom(32)).unwrap(anna, anna_wrapped.wrapped)  # another deployment's key


def test_a_retired_key_still_opens_and_rewrap_moves_a_data_key_to_the_new_one() -> None:
    old_secret, new_secret = os.urandom(32), os.urandom(32)
    old = Vault(old_secret)
    person = uuid.uuid4()
    [(key, wrapped)] = old.new_keys([person])
    sealed = key.seal("phone", "06 12345678")
    rotating = Vault(new_secret, retired=old_secret)
    assert rotating.unwrap(person, wrapped.wrapped).open("phone", sealed) == "06 12345678"
    again = rotating.rewrap(person, wrapped.wrapped)
    assert again.kek_id == Vault(new_secret).kek_id != old.kek_id
    assert Vault(new_secret).unwrap(person, again.wrapped).open("phone", sealed) == "06 12345678"


def test_the_key_comes_from_settings_and_a_bad_or_missing_one_is_refused_with_how_to_make_one() -> None:
    secret = os.urandom(32)
    encoded = base64.urlsafe_b64encode(secret).decode()
    configured = ServiceSettings(service="intake", data_key=encoded)
    assert Vault.from_settings(configured).kek_id == Vault(secret).kek_id
    development = ServiceSettings(service="intake", jwt_secret="a-development-secret-of-some-length")
    assert Vault.from_settings(development).kek_id == Vault.from_settings(development).kek_id
    with pytest.raises(DataKeyError, match="32 bytes"):
        Vault.from_settings(ServiceSettings(service="intake", data_key=encoded[:20]))
    with pytest.raises(DataKeyError, match="not base64"):
        Vault.from_settings(ServiceSettings(service="intake", data_key="not base64!"))
    with pytest.raises(DataKeyError, match=r"needs REGIONET_INTAKE_DATA_KEY.*generate one with"):
        Vault.from_settings(ServiceSettings(service="intake"))


def test_import_digests_are_keyed_by_the_deployment() -> None:
    one, other = Vault(os.urandom(32)), Vault(os.urandom(32))
    assert one.digest("abc") == one.digest("abc") != other.digest("abc")
