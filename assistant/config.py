"""Settings, read from the environment (``TERRAIN_*``), an optional ``terrain.toml`` and defaults.

Precedence, highest first: values passed in code, environment variables, ``terrain.toml``
(in the working directory, or the file named by ``TERRAIN_CONFIG``), defaults. ``OLLAMA_HOST``
is honoured as well as ``TERRAIN_OLLAMA_HOST`` because that is where Ollama users already set it.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.errors import Location, SettingsError, describe_validation_error

ENV_PREFIX = "TERRAIN_"
CONFIG_FILE_ENV = "TERRAIN_CONFIG"
DEFAULT_CONFIG_FILE = "terrain.toml"

PositiveSeconds = Annotated[float, Field(gt=0)]


def _default_data_dir() -> Path:
    """`$XDG_DATA_HOME/terrain`, else `~/.local/share/terrain`"""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "terrain"


class Settings(BaseSettings):
    """Everything an operator can set. Field docs are the settings table of docs/settings.md
    (`make settings-doc` writes it; tests/test_docs.py checks it is up to date)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
    )

    ollama_host: str = Field(
        default="http://127.0.0.1:11434",
        validation_alias=AliasChoices("TERRAIN_OLLAMA_HOST", "OLLAMA_HOST", "ollama_host"),
        description="Ollama server URL (a remote Ollama works the same).",
    )
    chat_model: str = Field(
        default="mistral-small3.2",
        min_length=1,
        description="Ollama model that interviews and extracts (instruction-tuned, good French).",
    )
    embed_model: str = Field(
        default="bge-m3",
        min_length=1,
        description="Ollama embedding model (multilingual).",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for everything Terrain writes (database, vector store, caches).",
    )
    language: Literal["fr", "en"] = Field(default="fr", description="Default interview language.")
    tokenizer: Literal["o200k_base", "cl100k_base"] = Field(
        default="o200k_base",
        description="tiktoken encoding used to count tokens (bundled, works offline).",
    )
    prompt_token_budget: int = Field(
        default=3000, ge=512, description="Most tokens a prompt sent to the chat model may hold."
    )
    temperature: float = Field(default=0.3, ge=0, le=2, description="Chat model temperature.")
    context_window: int = Field(
        default=8192, ge=1024, description="Context size asked of Ollama (num_ctx)."
    )
    connect_timeout: PositiveSeconds = Field(
        default=5.0, description="Seconds to wait for a connection to Ollama."
    )
    request_timeout: PositiveSeconds = Field(
        default=180.0,
        description="Seconds to wait for the model server's next piece of an answer (the first, "
        "then each next one) before the call fails: a long answer that keeps coming is not cut "
        "off. The safety classifier's verdict, a few tokens asked in one piece, must come whole "
        "within it.",
    )
    max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries after a failed connection to Ollama."
    )
    retry_backoff: float = Field(
        default=0.5, ge=0, description="First pause between retries, in seconds (doubles)."
    )
    embed_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Texts sent per embedding request."
    )
    chunk_tokens: int = Field(
        default=350, ge=50, le=4000, description="Most tokens in one retrieval chunk."
    )
    chunk_overlap_tokens: int = Field(
        default=50, ge=0, le=1000, description="Tokens repeated between neighbouring chunks."
    )
    exact_search_max_passages: int = Field(
        default=5_000,
        ge=0,
        description="Most passages whose nearest neighbours a process computes exactly in "
        "memory (their vectors read once from Chroma, about 4 KB each at 1,024 dimensions) "
        "rather than asking Chroma at each search; above it, and at 0, Chroma is asked.",
    )
    max_file_mb: float = Field(
        default=50, gt=0, description="Largest document `terrain ingest` accepts, in MB."
    )
    knowledge_dir: Path = Field(
        default=Path("knowledge"), description="Folder `terrain ingest` reads by default."
    )
    interview_minutes: int = Field(
        default=20, ge=5, le=120, description="Target length of an interview, in minutes."
    )
    interview_max_questions: int = Field(
        default=25, ge=8, le=100, description="Most questions in one interview, closing included."
    )
    max_message_chars: int = Field(
        default=20_000, ge=500, description="Longest message an employee can send."
    )
    max_question_chars: int = Field(
        default=600, ge=100, description="Longest message the interviewer may send."
    )
    guard_max_shared_words: int = Field(
        default=8,
        ge=3,
        le=50,
        description=(
            "Longest run of words an interviewer message may share with its instructions, the "
            "guide or the passages it was given; a longer one is a leak, and the message is "
            "replaced by the guide's question."
        ),
    )
    help_resources: str = Field(
        default=(
            "le 3114, numéro national de prévention du suicide, gratuit, 24 h/24 et 7 j/7 "
            "(3114, France's national suicide prevention line, free, 24/7)"
        ),
        description="Where to find help, shown when an employee expresses distress.",
    )
    safeguarding_contact: str = Field(
        default=(
            "le 3977, numéro national contre les maltraitances envers les personnes âgées et "
            "les adultes en situation de handicap ; le 119 pour un enfant en danger ; le 17 ou "
            "le 112 en cas de danger immédiat (3977, France's national line against the abuse "
            "of older and disabled adults; 119 for a child in danger; 17 or 112 in an emergency)"
        ),
        min_length=1,
        description="Who to contact, shown when an employee reports that someone in their "
        "care is being harmed (set your service's own channel).",
    )
    safety_min_confidence: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Least confidence (0–1) at which the safety classifier's category routes a "
        "message the guide's cue words did not catch.",
    )
    extraction_window_tokens: int = Field(
        default=3000, ge=500, description="Transcript tokens read per extraction request."
    )
    extraction_overlap_tokens: int = Field(
        default=300, ge=0, description="Transcript tokens repeated between extraction windows."
    )
    worker_poll_seconds: float = Field(
        default=5.0,
        ge=0.1,
        le=3600,
        description="Seconds an idle extraction worker waits before looking for queued jobs again.",
    )
    doctor_min_free_mb: int = Field(
        default=1024,
        ge=0,
        description="`terrain doctor` fails its free-space check when the disk holding the "
        "data folder has less free space than this, in MB: with a full disk nothing can be "
        "saved, and employees are told so.",
    )
    job_lease_seconds: float = Field(
        default=60.0,
        ge=5,
        le=86400,
        description="Seconds a claimed job stays its worker's without renewal (the worker "
        "renews it while it runs); a dead worker's job is claimed again after this.",
    )
    codebook: Path | None = Field(
        default=None, description="Codebook file; unset means `prompts/codebook.yaml`."
    )
    report_min_people: int = Field(
        default=5,
        ge=1,
        description="Fewest people a count in the leadership report may cover; below it the "
        'report hides the count ("hidden").',
    )
    report_min_people_for_quotes: int = Field(
        default=10,
        ge=1,
        description="Fewest people the report must cover before it shows any verbatim quote.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Secret for the keyed hashes (owner keys) that link employees to their "
        "interviews; unset means one generated in the data dir (`secret.key`).",
    )
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server URL; unset means a local Chroma folder under the data dir.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (e.g. PostgreSQL); unset means SQLite under the data dir.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days an ended interview is kept after its end; the worker then erases it "
        "(by the same path as an erasure request) and the jobs page says how many went and "
        "when. Published reports stay, republished without them. Unset means kept until "
        'erased by hand. The consent text and the "Lisez-moi" page state it.',
    )
    auth_header: str | None = Field(
        default=None,
        min_length=1,
        description="HTTP header in which a trusted single sign-on proxy passes the user name "
        "to the web app (e.g. `X-Forwarded-User`); unset turns header login off. Only set it "
        "behind a proxy that strips this header from clients' requests.",
    )
    mask_third_parties: bool = Field(
        default=True,
        description="Replace the names, phone numbers, e-mail and postal addresses, dates of "
        "birth and health details of the people employees mention by labels in what "
        "facilitators read (transcript pages, findings' exports, QDPX); `false` shows them "
        "(docs/privacy.md says what masking costs and misses).",
    )
    # -- sign-in and sessions (issue 21) --
    sign_in_delay_after: int = Field(
        default=3,
        ge=1,
        description="Failed sign-ins of one account after which each new try must wait "
        "(TERRAIN_SIGN_IN_DELAY_SECONDS, doubling at each failure, up to "
        "`assistant.auth.MAX_WAIT_SECONDS`).",
    )
    sign_in_delay_seconds: float = Field(
        default=1.0,
        ge=0,
        description="The first wait after TERRAIN_SIGN_IN_DELAY_AFTER failures, in seconds; it "
        "doubles at each further failure, up to `assistant.auth.MAX_WAIT_SECONDS`; 0 turns "
        "waits off (the lock remains).",
    )
    sign_in_lock_after: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins of one account that lock it for "
        "TERRAIN_SIGN_IN_LOCK_MINUTES (`terrain users unlock NAME` lifts the lock). Counted in "
        "the database, so every process agrees.",
    )
    sign_in_lock_minutes: float = Field(
        default=15.0,
        gt=0,
        description="How long a locked account or address stays locked; failures older than "
        "this are forgotten.",
    )
    sign_in_address_lock_after: int = Field(
        default=50,
        ge=1,
        description="Failed sign-ins from one client address (whatever the account) that lock "
        "that address for TERRAIN_SIGN_IN_LOCK_MINUTES; waits start at half of it.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or networks) of reverse proxies whose "
        "X-Forwarded-For and "
        "X-Forwarded-Proto are believed: the client's address for sign-in throttling, and "
        "HTTPS for Secure cookies and HSTS. Empty: no proxy is believed.",
    )
    public_url: str | None = Field(
        default=None,
        description="The address people open the web app at (e.g. https://terrain.example.org);"
        " the chat's socket accepts only this origin. Unset: only the address the request names.",
    )
    max_request_kb: int = Field(
        default=1024,
        ge=16,
        description="Largest request body the web app accepts, in KB; a larger one is refused "
        "(413) from its declared length, before it is read.",
    )
    auth_profile_fields: str = Field(
        default="",
        description="With single sign-on, where each profile field comes from: "
        "'job=HEADER_OR_CLAIM,site=…,team=…', e.g. `job=X-Job,site=X-Site,team=X-Team` (a "
        "header with TERRAIN_AUTH_HEADER, a claim of the provider's user data with OAuth); a "
        "value given at sign-on replaces the account's, interviews already started keep "
        "theirs. Header login: the proxy must strip these headers from clients' requests too.",
    )
    staff_language: Literal["fr", "en"] | None = Field(
        default=None,
        description="Language of the facilitators' research export (the QDPX codebook, "
        "variables and memos), whatever the interviews' languages; unset means "
        "TERRAIN_LANGUAGE.",
    )

    model_provider: Literal["ollama", "openai"] = Field(
        default="ollama",
        description="Which kind of model server answers: `ollama`, or `openai` for an "
        "OpenAI-compatible server (vLLM, llama.cpp's llama-server, SGLang, LM Studio) at "
        "TERRAIN_OPENAI_BASE_URL; the chat and embedding models are then its served model "
        "names (docs/model-servers.md).",
    )
    openai_base_url: str = Field(
        default="http://127.0.0.1:8000/v1",
        description="URL of the OpenAI-compatible API, with its `/v1` (used when "
        "TERRAIN_MODEL_PROVIDER is `openai`).",
    )
    openai_embed_base_url: str | None = Field(
        default=None,
        description="URL of the OpenAI-compatible API that serves the embedding model, when "
        "it is another server than the chat model's (vLLM and llama-server serve one model "
        "each); unset means TERRAIN_OPENAI_BASE_URL.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TERRAIN_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"),
        description="Key the OpenAI-compatible server asks for (`--api-key`), from the "
        "environment (TERRAIN_OPENAI_API_KEY or OPENAI_API_KEY); never logged nor shown.",
    )
    openai_thinking: bool = Field(
        default=False,
        description="Let a reasoning model (Qwen3…) of the OpenAI-compatible server think "
        "before it "
        "answers; false (the default) asks its chat template to skip thinking "
        "(`chat_template_kwargs: {enable_thinking: false}`), which structured output needs.",
    )

    @field_validator("ollama_host", "chroma_url", "openai_base_url", "openai_embed_base_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if "://" not in value:
            # Ollama itself accepts "host:port"; so do we.
            value = f"http://{value}"
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @field_validator("auth_profile_fields")
    @classmethod
    def _profile_sources(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            field, _, source = item.partition("=")
            if field.strip().casefold() not in ("job", "site", "team") or not source.strip():
                raise ValueError(f"{item!r}: write job=NAME, site=NAME, team=NAME, comma-separated")
        return value

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        return (init_settings, env_settings, toml)


def _variable_name(location: Location) -> str:
    """The environment variable a setting is read from, as the operator knows it."""
    field = ".".join(str(part) for part in location) or "settings"
    # Fields with aliases report the alias, which is already the variable's name.
    return field if field.startswith(ENV_PREFIX) else ENV_PREFIX + field.upper()


def _describe(error: ValidationError) -> str:
    """One line, naming each bad setting with the value given and what it expects."""
    problems = describe_validation_error(error, name=_variable_name, show_input=True, most=None)
    heading = "Invalid setting" if error.error_count() == 1 else "Invalid settings:"
    return f"{heading} {problems}."


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
    except (OSError, ValueError) as error:
        # An unreadable or malformed terrain.toml.
        raise SettingsError(f"Cannot read the settings file: {error}.") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


# -- the settings table of docs/settings.md, generated from the fields above ------------------

TABLE_START = "<!-- settings table: generated from assistant/config.py by `make settings-doc` -->"
TABLE_END = "<!-- end of the settings table -->"
_LONG_DEFAULT = 40


def _variables(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    names = [
        choice
        for choice in (alias.choices if isinstance(alias, AliasChoices) else ())
        if isinstance(choice, str) and choice.isupper()
    ]
    return " or ".join(f"`{variable}`" for variable in names or [ENV_PREFIX + name.upper()])


def _shown_default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return (field.default_factory.__doc__ or "computed").strip()
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "empty"
    if len(str(value)) > _LONG_DEFAULT:
        return f'"{value}"'
    return f"`{value}`"


def _choices(annotation: object) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(choice) for choice in get_args(annotation)]
    return [choice for argument in get_args(annotation) for choice in _choices(argument)]


def settings_table() -> str:
    """The settings as a Markdown table: each variable, its default and its field doc."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = field.description or ""
        if choices := _choices(field.annotation):
            meaning += " One of " + ", ".join(f"`{choice}`" for choice in choices) + "."
        cells = (_variables(name, field), _shown_default(field), meaning)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def with_settings_table(document: str) -> str:
    """``document`` with the generated table between its two markers."""
    before, start, rest = document.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"the document lacks the markers {TABLE_START!r} and {TABLE_END!r}")
    return f"{before}{TABLE_START}\n{settings_table()}{TABLE_END}{after}"


def main(arguments: list[str]) -> int:
    """``python -m assistant.config --markdown`` prints the table; ``--write FILE`` puts it
    between the markers of FILE (``make settings-doc`` writes docs/settings.md)."""
    if arguments == ["--markdown"]:
        print(settings_table(), end="")
        return 0
    if len(arguments) == 2 and arguments[0] == "--write":
        path = Path(arguments[1])
        path.write_text(with_settings_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    print("usage: python -m assistant.config --markdown | --write FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
