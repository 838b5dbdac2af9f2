"""The mini-program door keeps the same owner rule as the chat (issue #18, R-F2): it lives in
services, so an owner filing for themself submits without a power of attorney, someone else
needs one, and the driver whose identity number is the owner's is stored as the owner."""

from __future__ import annotations

import pytest
from api_helpers import attach_documents
from factories import personal_body

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize("applicant_is_owner", [True, False])
async def test_power_of_attorney_only_when_someone_else_files(login, applicant_is_owner
                                                              ) -> None:
    alice = await login()
    body = personal_body()
    body["owner"]["is_applicant"] = applicant_is_owner
    body["drivers"][0]["is_owner"] = False  # the door's flag; the identity number decides
    body["documents"] = await attach_documents(alice)
    status, filing = await alice.call("POST", "/api/v1/filings", json=body)
    assert status == 201 and filing["drivers"][0]["is_owner"] is True
    status, answer = await alice.call("POST", f"/api/v1/filings/{filing['id']}/submit")
    if applicant_is_owner:
        assert status == 200 and answer["status"] == "submitted"
    else:
        assert status == 422
        assert {e["field"] for e in answer["errors"]} == {"documents.power_of_attorney"}
