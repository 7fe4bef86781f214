"""The operator's commands: ``chatserver faq add|list|import`` and ``chatserver staff add``."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from chatserver.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    handlers = logging.getLogger().handlers[:]

    def _run(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield _run
    logging.getLogger().handlers[:] = handlers


def test_faq_and_staff_commands(tmp_path, run):
    business = run("business", "add", "Acme")[1].strip()
    faqs = tmp_path / "faqs.json"
    faqs.write_text(
        json.dumps(
            [{"question": "Hours?", "answer": "9-5", "keywords": ["hours"]}, {"question": "Ship?", "answer": "Y"}]
        )
    )
    assert run("faq", "import", "--business", business, str(faqs))[1].strip() == "imported 2 FAQ entries"
    code, out, _ = run(
        "faq",
        "add",
        "--business",
        business,
        "--question",
        "Refund?",
        "--answer",
        "30 days",
        "--keywords",
        "refund, return",
    )
    assert code == 0 and len(out.strip()) == 24
    listed = [json.loads(line) for line in run("faq", "list", "--business", business)[1].splitlines()]
    assert [f["question"] for f in listed] == ["Hours?", "Ship?", "Refund?"]
    assert listed[2]["keywords"] == ["refund", "return"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question": "ok", "answer": "ok"}, {"question": "no answer"}]))
    code, _, err = run("faq", "import", "--business", business, str(bad))
    assert code == 1 and "entry 1" in err
    assert len(run("faq", "list", "--business", business)[1].splitlines()) == 3  # all or nothing

    add = ("staff", "add", "--business", business, "--password-stdin", "--email")
    code, _, err = run(*add, "Bob@Example.com", stdin="long enough pw\n")
    assert code == 0, err
    code, _, err = run(*add, "bob@example.com", stdin="long enough pw\n")
    assert code == 1 and "exists" in err
    code, _, err = run(*add, "c@example.com", stdin="short\n")
    assert code == 1 and "password" in err
    code, _, err = run(
        "staff", "add", "--business", "nope", "--email", "d@example.com", "--password-stdin", stdin="x" * 9
    )
    assert code == 1 and "no such business" in err
