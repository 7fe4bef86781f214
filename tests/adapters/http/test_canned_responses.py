"""Canned responses over REST (issue 17), on SQLite and PostgreSQL: staff of the business only,
short codes unique per business whatever their case (also when two staff race), every refusal
a documented code naming its field, and the per-business limit."""

from __future__ import annotations

import asyncio

from chatserver.domain.canned import MAX_CONTENT, MAX_PER_BUSINESS
from tests.conftest import make_token
from tests.rest import api


def root(business: str) -> str:
    return f"/api/businesses/{business}/canned-responses"


async def test_staff_add_list_change_and_delete_canned_responses(base_url, business, staff_token):
    text = "Hi {{visitor.name}}, I am {{staff.name}}. How can I help?"
    status, greet = await api(base_url, "POST", root(business), staff_token, {"shortCode": "greet", "content": text})
    assert status == 201
    assert greet["shortCode"] == "greet" and greet["content"] == text  # placeholders are stored as written
    assert greet["businessId"] == business and greet["createdAt"] == greet["updatedAt"]
    status, bye = await api(base_url, "POST", root(business), staff_token, {"shortCode": "Bye", "content": "  Bye!  "})
    assert status == 201 and bye["content"] == "Bye!"

    status, listing = await api(base_url, "GET", root(business), staff_token)
    assert status == 200 and [c["shortCode"] for c in listing["cannedResponses"]] == ["Bye", "greet"]

    path = f"{root(business)}/{greet['_id']}"
    status, changed = await api(base_url, "PATCH", path, staff_token, {"content": "Hello!"})
    assert status == 200 and changed["content"] == "Hello!" and changed["shortCode"] == "greet"
    status, changed = await api(base_url, "PATCH", path, staff_token, {"shortCode": "hello"})
    assert status == 200 and changed["shortCode"] == "hello" and changed["content"] == "Hello!"
    status, one = await api(base_url, "GET", path, staff_token)
    assert status == 200 and one == changed

    status, _ = await api(base_url, "DELETE", path, staff_token)
    assert status == 204
    status, body = await api(base_url, "GET", path, staff_token)
    assert status == 404 and body["error"] == {**body["error"], "code": "not_found", "field": "cannedId"}
    status, body = await api(base_url, "DELETE", path, staff_token)
    assert status == 404
    status, listing = await api(base_url, "GET", root(business), staff_token)
    assert [c["shortCode"] for c in listing["cannedResponses"]] == ["Bye"]


async def test_a_short_code_is_unique_in_a_business_whatever_its_case(base_url, business, other_business, staff_token):
    status, _ = await api(base_url, "POST", root(business), staff_token, {"shortCode": "greet", "content": "Hi"})
    assert status == 201
    status, body = await api(base_url, "POST", root(business), staff_token, {"shortCode": "GREET", "content": "Yo"})
    assert status == 400 and body["error"]["code"] == "invalid_payload" and body["error"]["field"] == "shortCode"
    assert "already used" in body["error"]["message"]
    status, other = await api(base_url, "POST", root(business), staff_token, {"shortCode": "other", "content": "x"})
    status, body = await api(base_url, "PATCH", f"{root(business)}/{other['_id']}", staff_token, {"shortCode": "Greet"})
    assert status == 400 and body["error"]["field"] == "shortCode"
    # another business may use the same code
    other_staff = make_token("staff", "Olga", other_business)
    status, _ = await api(base_url, "POST", root(other_business), other_staff, {"shortCode": "greet", "content": "Hej"})
    assert status == 201


async def test_two_staff_adding_the_same_code_at_once_get_one_entry_and_one_refusal(base_url, business, staff_token):
    body = {"shortCode": "race", "content": "first"}
    answers = await asyncio.gather(*(api(base_url, "POST", root(business), staff_token, body) for _ in range(6)))
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) == 1 and statuses.count(400) == 5, statuses
    assert all(reply["error"]["field"] == "shortCode" for status, reply in answers if status == 400)
    _, listing = await api(base_url, "GET", root(business), staff_token)
    assert [c["shortCode"] for c in listing["cannedResponses"]] == ["race"]


async def test_bad_bodies_are_refused_naming_the_field(base_url, business, staff_token):
    cases = [
        ({"content": "x"}, "shortCode"),
        ({"shortCode": "greet"}, "content"),
        ({"shortCode": "", "content": "x"}, "shortCode"),
        ({"shortCode": "two words", "content": "x"}, "shortCode"),
        ({"shortCode": "/greet", "content": "x"}, "shortCode"),
        ({"shortCode": "x" * 33, "content": "x"}, "shortCode"),
        ({"shortCode": 5, "content": "x"}, "shortCode"),
        ({"shortCode": "greet", "content": "   "}, "content"),
        ({"shortCode": "greet", "content": "a\x00b"}, "content"),
        ({"shortCode": "greet", "content": "x" * (MAX_CONTENT + 1)}, "content"),
        ({"shortCode": "greet", "content": ["x"]}, "content"),
        (["greet"], "body"),
    ]
    for body, field in cases:
        status, reply = await api(base_url, "POST", root(business), staff_token, body)
        assert status == 400 and reply["error"]["code"] == "invalid_payload", (body, reply)
        assert reply["error"]["field"] == field, (body, reply)
    status, reply = await api(base_url, "POST", root(business), staff_token, raw=b"{nope")
    assert status == 400 and reply["error"]["code"] == "bad_json"
    status, made = await api(base_url, "POST", root(business), staff_token, {"shortCode": "ok", "content": "x"})
    status, reply = await api(base_url, "PATCH", f"{root(business)}/{made['_id']}", staff_token, {})
    assert status == 400 and reply["error"]["field"] == "body"
    status, listing = await api(base_url, "GET", root(business), staff_token)
    assert [c["shortCode"] for c in listing["cannedResponses"]] == ["ok"]


async def test_only_staff_of_the_business_see_or_change_its_canned_responses(
    base_url, business, other_business, staff_token
):
    status, made = await api(base_url, "POST", root(business), staff_token, {"shortCode": "greet", "content": "Hi"})
    path = f"{root(business)}/{made['_id']}"
    other_staff = make_token("staff", "Olga", other_business)
    outsiders = ((None, 401), ("not-a-token", 401), (make_token("customer", "Carl"), 403), (other_staff, 403))
    for token, expected in outsiders:
        for method, where, body in (
            ("GET", root(business), None),
            ("POST", root(business), {"shortCode": "x", "content": "y"}),
            ("GET", path, None),
            ("PATCH", path, {"content": "z"}),
            ("DELETE", path, None),
        ):
            status, reply = await api(base_url, method, where, token, body)
            assert status == expected, (token, method, where, reply)
    # another business's staff asking under their own business for this id: not found there
    status, reply = await api(base_url, "GET", f"{root(other_business)}/{made['_id']}", other_staff)
    assert status == 404 and reply["error"]["field"] == "cannedId"
    status, reply = await api(base_url, "DELETE", f"{root(other_business)}/{made['_id']}", other_staff)
    assert status == 404
    status, one = await api(base_url, "GET", path, staff_token)
    assert status == 200 and one["content"] == "Hi"


async def test_a_business_keeps_at_most_its_limit(runtime, base_url, business, staff_token):
    from chatserver.domain.canned import CannedFields

    for i in range(MAX_PER_BUSINESS):
        await runtime.store.create_canned(business, CannedFields(f"c{i}", "text"), 1)
    status, reply = await api(base_url, "POST", root(business), staff_token, {"shortCode": "one-more", "content": "x"})
    assert status == 409 and reply["error"]["code"] == "limit_reached"
    status, listing = await api(base_url, "GET", root(business), staff_token)
    assert len(listing["cannedResponses"]) == MAX_PER_BUSINESS


async def test_an_unknown_business_is_not_found(base_url):
    token = make_token("staff", "Alice", "no-such-business")
    status, reply = await api(base_url, "GET", root("no-such-business"), token)
    assert status == 404 and reply["error"]["field"] == "businessId"
