"""The web app's parts without a server: rendering, texts, passwords, the data layer, launch."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistant.auth import (
    AuthError,
    add_user,
    authenticate,
    hash_password,
    single_sign_on_account,
    verify_password,
)
from assistant.config import Settings
from assistant.interview.guide import load_guide
from assistant.privacy import owner_key
from assistant.schemas import InterviewStatus, InterviewUpdate, Phase, Speaker, UserRole
from assistant.store import Store
from assistant.web import render
from assistant.web.launch import (
    auth_secret,
    chainlit_environment,
    content_security_policy,
    prepare_app_root,
    without_external_links,
)
from assistant.web.runtime import OwnerIndex, Runtime
from assistant.web.texts import language_from, texts_for
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.slow

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[lien](javascript:alert(1))",
    "**gras** _italique_ `code`",
    "# titre\n---\n> citation",
    "| a | b |\n|---|---|\n| c | d |",
    "https://exemple.fr <https://exemple.fr> www.exemple.fr",
    "&lt;script&gt; &amp; \\\\ \\*",
    "    indenté comme du code",
    "1. liste\n- puce\n+ autre",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_markdown_renders_as_the_characters_typed(text: str) -> None:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(render.literal(text))
    for tag in ("<img", "<a ", "<strong", "<em", "<code", "<h1", "<h2", "<table", "<blockquote"):
        assert tag not in html
    assert "<ol" not in html
    assert "<ul" not in html
    assert "<pre" not in html


def streamed(pieces: list[str]) -> str:
    """What the page holds once ``pieces`` have streamed, as ``employee._render`` builds it."""
    shown, line_start = "", True
    for piece in pieces:
        shown += render.fragment(piece, line_start=line_start)
        line_start = render.ends_at_line_start(piece, before=line_start)
    return shown


def words_shown(markdown: str) -> str:
    """The text a reader sees, white space collapsed."""
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "split",
    [
        r"\s*\S+|\s+",  # as models stream: each piece with the space before it
        r"\S+|\s+",  # white space in pieces of its own, line breaks included
        r".",  # one character at a time
    ],
)
def test_streamed_pieces_show_the_characters_typed_and_nothing_live(text: str, split: str) -> None:
    markdown = streamed(re.findall(split, text, flags=re.DOTALL))
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    for tag in ("<img", "<a ", "<strong", "<em", "<code", "<h1", "<h2", "<table", "<blockquote"):
        assert tag not in rendered
    for tag in ("<ol", "<ul", "<pre"):
        assert tag not in rendered
    assert words_shown(markdown) == " ".join(text.split())


def test_streamed_pieces_keep_the_space_between_words_and_never_indent_a_line() -> None:
    assert streamed(["Pouvez", "-vous", " me", " ?"]) == "Pouvez\\-vous me \\?"
    for pieces in (
        ["Bonjour", "\n\n", "    x = 1"],
        ["a", "\n", "\n", "  ", "  x"],
        ["\t", "code"],
    ):
        assert "<pre" not in MarkdownIt("commonmark").render(streamed(pieces))


def test_literal_keeps_lines_and_messages_keep_their_bullets() -> None:
    assert render.literal("a\nb") == "a  \nb"
    summary = "Voici :\n\n- un point [x](javascript:y)\n- <b>deux</b>\n\nC'est juste ?"
    html = (
        MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(render.message(summary))
    )
    assert html.count("<li>") == 2
    assert "<b>" not in html
    assert "<a " not in html


def test_tables_and_progress() -> None:
    table = render.table(["a|b", "c"], [["x|y", "z\nw"]])
    assert table.splitlines()[0] == "| a\\|b | c |"
    assert table.splitlines()[2] == "| x\\|y | z w |"
    guide = load_guide("fr")
    assert render.progress(guide, Phase.CONSENT) is None
    assert render.progress(guide, Phase.DONE) is None
    assert render.progress(guide, Phase.EPISODE) == "*Étape 2\\/6 \\: Un moment précis*"
    assert render.progress(guide, Phase.CLOSING) == "*Étape 6\\/6 \\: Résumé et conclusion*"


def test_summary_points_are_read_from_the_message() -> None:
    text = "Intro :\n\n- premier\n- second\n\nFin ?"
    assert render.summary_points(text) == ["premier", "second"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9", "fr"),
        ("en-US", "en"),
        ("EN", "en"),
        ("de-DE", "fr"),
        (None, "fr"),
        ("", "fr"),
    ],
)
def test_the_interface_language_follows_the_browser(header: str | None, expected: str) -> None:
    assert language_from(header, "fr") == expected


def test_both_languages_have_every_status_and_phase() -> None:
    for language in ("fr", "en"):
        texts = texts_for(language)
        assert texts.language == language
        assert set(texts.phases) == set(Phase)
        assert set(texts.speakers) == set(Speaker)


def test_passwords_are_argon2_and_never_default(make_settings: SettingsFactory) -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "anything at all")
    with pytest.raises(AuthError, match="at least 10"):
        hash_password("short")
    with Store.open(make_settings()) as store:
        assert store.accounts.all() == []  # no account exists until one is added
        add_user(store, "alice", UserRole.EMPLOYEE, "correct horse battery")
        with pytest.raises(AuthError, match="already exists"):
            add_user(store, "alice", UserRole.ADMIN, "another long password")
        with pytest.raises(AuthError, match="Invalid user name"):
            add_user(store, "<script>", UserRole.ADMIN, "another long password")
        assert store.accounts.password_hash_of("alice") != "correct horse battery"
        account = authenticate(store, "alice", "correct horse battery")
        assert account is not None
        assert account.role == UserRole.EMPLOYEE
        assert authenticate(store, "alice", "wrong horse battery") is None
        assert authenticate(store, "nobody", "correct horse battery") is None
        # Single sign-on: a known user keeps their role, a new one is an employee.
        add_user(store, "fanny", UserRole.FACILITATOR, None)
        assert authenticate(store, "fanny", "") is None
        fanny = single_sign_on_account(store, "fanny")
        assert fanny is not None
        assert fanny.role == UserRole.FACILITATOR
        newcomer = single_sign_on_account(store, "newcomer@example.com")
        assert newcomer is not None
        assert newcomer.role == UserRole.EMPLOYEE
        assert single_sign_on_account(store, "bad name with spaces") is None


def test_the_owner_index_answers_only_for_known_users(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    with Store.open(settings) as store:
        add_user(store, "alice", UserRole.EMPLOYEE, None)
        index = OwnerIndex(settings, store)
        assert index.user_of(owner_key(settings, "alice")) == "alice"
        assert index.user_of("owner:unknown") is None
        assert index.user_of(None) is None


async def test_the_data_layer_rebuilds_threads_and_lists_only_the_owners(
    make_settings: SettingsFactory,
) -> None:
    from chainlit.types import Pagination, ThreadFilter

    from assistant.web.datalayer import TerrainDataLayer

    settings = make_settings()
    with Store.open(settings) as store:
        for name, role in [("alice", UserRole.EMPLOYEE), ("fanny", UserRole.FACILITATOR)]:
            add_user(store, name, role, None)
        key = owner_key(settings, "alice")
        interview = store.interviews.create(language="fr", owner_key=key)
        store.interviews.add_turn(
            interview.id, speaker=Speaker.INTERVIEWER, text="Bonjour ?", phase=Phase.CONSENT
        )
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="<b>oui</b>", phase=Phase.CONSENT
        )
        store.interviews.add_turn(
            interview.id, speaker=Speaker.INTERVIEWER, text="Métier ?", phase=Phase.ROLE
        )
        other = store.interviews.create(language="fr", owner_key=owner_key(settings, "bob"))
        layer = TerrainDataLayer(Runtime(settings, store, OwnerIndex(settings, store)))

        assert await layer.get_thread_author(interview.id) == "alice"
        assert await layer.get_thread_author(other.id) == ""  # bob has no account
        assert await layer.get_thread_author("../../etc/passwd") == ""
        thread = await layer.get_thread(interview.id)
        assert thread is not None
        assert thread["userIdentifier"] == "alice"
        outputs = [(step["type"], step["output"]) for step in thread["steps"]]
        assert outputs == [
            ("assistant_message", "Bonjour \\?"),
            ("user_message", "<b>oui</b>"),  # shown as plain text (user_message_markdown off)
            ("assistant_message", "*Étape 1\\/6 \\: Le métier tel qu\\'il est prévu*"),
            ("assistant_message", "Métier \\?"),
        ]

        page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId="alice"))
        assert [t["id"] for t in page.data] == [interview.id]
        # A name starts with the status, and is in the interview's language.
        english = store.interviews.create(language="en", owner_key=key)
        store.interviews.update(english.id, InterviewUpdate(status=InterviewStatus.CLOSED))
        page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId="alice"))
        names = {t["id"]: t["name"] for t in page.data}
        assert names[english.id] == f"Closed · {english.created_at.astimezone():%Y-%m-%d %H:%M}"
        assert names[interview.id] == (
            f"En cours · {interview.created_at.astimezone():%d/%m/%Y %H:%M}"
        )
        store.interviews.erase(english.id)
        for stranger in ("fanny", "bob", None):
            empty = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=stranger))
            assert empty.data == []
        user = await layer.get_user("alice")
        assert user is not None
        assert user.metadata == {"role": "employee"}
        assert await layer.get_user("nobody") is None

        await layer.delete_thread(interview.id)
        assert store.interviews.get(interview.id) is None


def test_the_page_loses_its_outside_links_and_gets_a_strict_policy() -> None:
    page = (
        '<head><link rel="preconnect" href="https://fonts.googleapis.com" />\n'
        '<link\n  href="https://fonts.googleapis.com/css2?family=Inter" rel="stylesheet" />'
        '<link rel="stylesheet" href="//cdn.example/katex.css">'
        '<link rel="stylesheet" crossorigin href="/assets/index.css">'
        "<script>const global = globalThis;</script></head>"
    )
    cleaned = without_external_links(page)
    assert "googleapis" not in cleaned
    assert "cdn.example" not in cleaned
    assert '/assets/index.css"' in cleaned
    policy = content_security_policy(cleaned)
    digest = base64.b64encode(hashlib.sha256(b"const global = globalThis;").digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_the_app_root_is_private_and_rebuilt_in_place(settings: Settings, tmp_path: Path) -> None:
    root = prepare_app_root(settings)
    assert root == settings.data_dir / "web"
    assert (root / ".chainlit" / "config.toml").is_file()
    assert "Qui voit quoi" in (root / "chainlit.md").read_text(encoding="utf-8")
    page = (root / "frontend" / "index.html").read_text(encoding="utf-8")
    assert "googleapis" not in page
    assert "jsdelivr" not in page
    assert (root / "frontend" / "assets").is_dir()
    assert prepare_app_root(settings) == root  # again: no error, same place
    env = chainlit_environment(settings, "127.0.0.1", 8123)
    assert env["CHAINLIT_APP_ROOT"] == str(root)
    assert env["CHAINLIT_PORT"] == "8123"
    assert env.get("CHAINLIT_AUTH_SECRET", auth_secret(settings)) == auth_secret(settings)
    assert auth_secret(settings) == auth_secret(settings)
    assert len(auth_secret(settings)) == 64


def test_only_the_web_package_imports_chainlit() -> None:
    package = Path(__file__).resolve().parents[2] / "assistant"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "web" not in path.relative_to(package).parts[:1]
        and any(
            line.strip().startswith(("import chainlit", "from chainlit"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
