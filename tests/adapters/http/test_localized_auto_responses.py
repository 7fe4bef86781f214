"""Auto-responses in the visitor's language (issue 18): a business may write each auto-response
in other languages; the locale the widget sends on join picks the text (exact tag, else its
language, else the default); the room shows it as metadata.locale. On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.rest import api

SETTINGS = {
    "greeting": {
        "enabled": True,
        "message": "Hi! How can we help?",
        "messages": {"fr": "Bonjour ! Comment pouvons-nous vous aider ?", "pt-BR": "Olá! Como podemos ajudar?"},
    },
    "away": {"enabled": True, "message": "We are away.", "messages": {"fr": "Nous sommes absents."}},
}


async def greet(connect, business, **join):
    guest = await connect()
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Ana", **join})
    room = joined["room"]
    await guest.call("chat:send-message", {"roomId": room["_id"], "content": "hello"})
    greeting = (await guest.wait_for("chat:new-message", senderId="system:greeting"))["data"]["content"]
    away = (await guest.wait_for("chat:new-message", senderId="system:away"))["data"]["content"]
    return room, greeting, away


async def test_the_visitors_locale_picks_the_auto_responses_language(connect, runtime, business):
    await runtime.admin.put_settings(business, SETTINGS)
    room, greeting, away = await greet(connect, business, locale="fr-CA")  # no fr-ca: its language, fr
    assert greeting == "Bonjour ! Comment pouvons-nous vous aider ?" and away == "Nous sommes absents."
    assert room["metadata"]["locale"] == "fr-ca"
    room, greeting, away = await greet(connect, business, locale="pt-BR")  # the exact tag, in any case
    assert greeting == "Olá! Como podemos ajudar?" and away == "We are away."  # no pt away: the default
    room, greeting, _ = await greet(connect, business, locale="de")
    assert greeting == "Hi! How can we help?"
    room, greeting, _ = await greet(connect, business)
    assert greeting == "Hi! How can we help?" and "locale" not in room["metadata"]


async def test_settings_keep_the_translations_and_refuse_what_is_not_a_language(
    base_url, runtime, business, staff_token
):
    path = f"/api/businesses/{business}/settings"
    status, body = await api(base_url, "PUT", path, staff_token, SETTINGS)
    assert status == 200
    assert body["greeting"]["messages"] == {
        "fr": "Bonjour ! Comment pouvons-nous vous aider ?",
        "pt-br": "Olá! Como podemos ajudar?",
    }
    assert "messages" not in body["leadCapture"]  # nothing translated: as before
    status, again = await api(base_url, "GET", path, staff_token)
    assert status == 200 and again == body
    for messages, field in (
        ({"not a tag": "x"}, "greeting.messages"),
        ({"f": "x"}, "greeting.messages"),
        ({"fr": ""}, "greeting.messages.fr"),
        ({"fr": 5}, "greeting.messages.fr"),
    ):
        bad = {"greeting": {"enabled": True, "messages": messages}}
        status, reply = await api(base_url, "PUT", path, staff_token, bad)
        assert status == 400 and reply["error"]["code"] == "invalid_payload", (messages, reply)
        assert reply["error"]["field"] == field, (messages, reply)


async def test_a_bad_locale_on_join_is_refused_naming_the_field(connect, business):
    guest = await connect()
    for locale in ("x", "not a locale", "fr_FR_" * 10, 5):
        frame = await guest.request("chat:join-room", {"businessId": business, "locale": locale})
        error = frame.get("error") or {}
        assert error.get("code") == "invalid_payload" and error.get("field") == "locale", (locale, frame)
    joined = await guest.call("chat:join-room", {"businessId": business, "locale": "fr_FR"})
    assert joined["room"]["metadata"]["locale"] == "fr-fr"
