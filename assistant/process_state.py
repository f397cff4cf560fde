"""What each Terrain process keeps in memory or on its local disk, and why that is safe when
several processes (web replicas behind a proxy, workers) share one database and one vector
store.

Everything a replica must answer the same with lives in the database or the vector store.
What is listed here is either read-only (loaded once from files shipped with Terrain or from
settings every process has alike), a copy checked against the database before use, or tied
to the connections a replica holds (sticky sessions keep an employee on one replica).

``tests/test_process_state.py`` scans ``assistant/`` for module-level mutable containers,
``global`` rebinding, ``lru_cache``/``cache`` and uses of the local folders (``data_dir``,
``chroma_dir``, ``cache_dir``) and fails on any not declared here, or declared and gone.
``docs/scaling.md`` gives the same list to whoever deploys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kept(StrEnum):
    MEMORY = "memory"
    DISK = "local disk"


@dataclass(frozen=True)
class ProcessState:
    key: str  # module.name, or module:folder for a local folder used there
    kept: Kept
    why_safe: str
    scanned: bool = True  # False: instance state the scan cannot see, declared all the same


_READ_ONLY = "read-only after the first load, from files shipped with Terrain: the same in "
_SAME = "every process"

DECLARED: tuple[ProcessState, ...] = (
    # ---- read-only models, parsers and tables, loaded once per process
    ProcessState(
        "assistant.personal_data.names._pipeline",
        Kept.MEMORY,
        "spaCy's model, loaded once: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.personal_data.patterns.first_names",
        Kept.MEMORY,
        "first names from Faker's providers: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.personal_data.redaction._analyzer",
        Kept.MEMORY,
        "the redactor's recognizers: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.personal_data.redaction._cached_redactor",
        Kept.MEMORY,
        "a redactor per set of names to hide and terms to keep: a pure function of its arguments",
    ),
    ProcessState(
        "assistant.interview.rules._detector",
        Kept.MEMORY,
        "lingua's language detector: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.interview.safety._compiled",
        Kept.MEMORY,
        "compiled regular expressions, a pure function of the patterns given",
    ),
    ProcessState(
        "assistant.interview.guide._validated",
        Kept.MEMORY,
        "the interview guide checked once: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.prompts._installed_prompts",
        Kept.MEMORY,
        "where the installed prompts are (a checkout's or the wheel's): the same for the "
        "process's life",
    ),
    ProcessState(
        "assistant.prompts._load_cached",
        Kept.MEMORY,
        "prompt files, keyed by their modification time: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.report.qdpx._project_schema",
        Kept.MEMORY,
        "the REFI-QDA schema: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.retrieval.analysis._stemmer",
        Kept.MEMORY,
        "stemmers per language: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.tokens.get_encoding",
        Kept.MEMORY,
        "tiktoken encodings: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.text.fold_case_and_accents",
        Kept.MEMORY,
        "a pure function's results (case and accent folding of a string)",
    ),
    ProcessState(
        "assistant.report.build._Redaction.__init__",
        Kept.MEMORY,
        "one report build's redactions, dropped with the build: pure functions of the text",
    ),
    ProcessState(
        "assistant.auth._hasher",
        Kept.MEMORY,
        "the password hasher's parameters: the same in every process",
    ),
    ProcessState(
        "assistant.auth._dummy_hash",
        Kept.MEMORY,
        "a hash of nothing, compared against to keep sign-in timing even",
    ),
    ProcessState(
        "assistant.config.get_settings",
        Kept.MEMORY,
        "the settings read from the environment at start: every replica is started with the "
        "same (TERRAIN_*, the same secret)",
    ),
    ProcessState(
        "assistant.web.pages.routes.ROUTES",
        Kept.MEMORY,
        "the staff pages' routes, registered at import: code, the same in every process",
    ),
    # ---- connections and live sessions, which belong to one process by nature
    ProcessState(
        "assistant.web.runtime.runtime",
        Kept.MEMORY,
        "the process's store (a connection pool) and interview dependencies; the retriever "
        "in them checks the database's lexical index before a search, at most once a second",
    ),
    ProcessState(
        "assistant.llm.ollama._sessions_by_loop",
        Kept.MEMORY,
        "HTTP sessions to the model server, per event loop, closed with it: connections, "
        "no answers kept",
    ),
    ProcessState(
        "assistant.llm.ollama._tls_context",
        Kept.MEMORY,
        "the system's certificates as a TLS context: the same in every process",
    ),
    ProcessState(
        "assistant.llm.openai_compatible._clients_by_loop",
        Kept.MEMORY,
        "HTTP clients to the model server, per event loop: connections, no answers kept",
    ),
    ProcessState(
        "assistant.llm.openai_compatible._http_by_loop",
        Kept.MEMORY,
        "HTTP connection pools, per event loop: connections, no answers kept",
    ),
    ProcessState(
        "assistant.interview.ahead._ANSWERING",
        Kept.MEMORY,
        "the interviews whose message this process is answering now, so that a resumed "
        "conversation on the same replica is not answered twice; Chainlit's live sessions "
        "are per replica too, and the proxy's sticky sessions keep an employee on one; after "
        "a replica dies the turns saved in the database are what the next one resumes from",
    ),
    ProcessState(
        "assistant.masking._cache",
        Kept.MEMORY,
        "interview masks keyed by a digest of the transcript's content: a changed transcript "
        "never meets an old mask, and each replica computes the same mask from the same turns",
    ),
    ProcessState(
        "assistant.masking._warming",
        Kept.MEMORY,
        "the thread loading the redactor in the background, so that it starts once",
    ),
    ProcessState(
        "assistant.retrieval.knowledge_base.KnowledgeBase._loaded",
        Kept.MEMORY,
        "the lexical index loaded from the database with its token, used only while the "
        "database's token is the same (checked before a search, at most once a second)",
        scanned=False,
    ),
    ProcessState(
        "assistant.retrieval.knowledge_base.KnowledgeBase._checked",
        Kept.MEMORY,
        "the last check of the database's lexical index (its token, whether an ingest is "
        "under way) and its time, relied on for INDEX_CHECK_SECONDS (1 s): an index saved "
        "elsewhere is searched from within a second on every replica, the previous one whole "
        "until then",
        scanned=False,
    ),
    ProcessState(
        "assistant.retrieval.dense_index.DenseIndex._held",
        Kept.MEMORY,
        "the passages' vectors read from the vector store, for exact search of a small "
        "knowledge base, keyed by the token of the lexical index saved by the last ingest "
        "(every ingest that writes saves a new one): used only while the database's token is "
        "the same and no ingest is under way (checked before a search, at most once a second), "
        "read again after",
        scanned=False,
    ),
    ProcessState(
        "assistant.store.grouped_writes.GroupedWrites._queues",
        Kept.MEMORY,
        "the writes awaited on this process's event loop until the group's one commit (a "
        "SQLite file only, which replicas do not share): each caller is answered only once "
        "it has committed, so nothing is confirmed that the database does not hold",
        scanned=False,
    ),
    # ---- local folders
    ProcessState(
        "assistant.privacy:data_dir",
        Kept.DISK,
        "the server secret's file when TERRAIN_SECRET_KEY is not set; replicas are given one "
        "secret (the deployment sets TERRAIN_SECRET_KEY), so the file is one machine's alone",
    ),
    ProcessState(
        "assistant.store.store:data_dir",
        Kept.DISK,
        "the default SQLite database; several processes share TERRAIN_DATABASE_URL instead",
    ),
    ProcessState(
        "assistant.retrieval.chroma:chroma_dir",
        Kept.DISK,
        "the local Chroma folder of a single machine; several processes share a Chroma "
        "server (TERRAIN_CHROMA_URL)",
    ),
    ProcessState(
        "assistant.retrieval.knowledge_base:data_dir",
        Kept.DISK,
        "read once to move a previous version's files into the database, then removed",
    ),
    ProcessState(
        "assistant.report.publishing:data_dir",
        Kept.DISK,
        "the same move, before a report is built: nothing written there",
    ),
    ProcessState(
        "assistant.web.launch:data_dir",
        Kept.DISK,
        "Chainlit's working folder, written at start from Terrain's own files: the same on "
        "every replica",
    ),
    ProcessState(
        "assistant.doctor:data_dir",
        Kept.DISK,
        "`terrain doctor` checks the folder can be written and has room: nothing kept",
    ),
    ProcessState(
        "assistant.doctor:chroma_dir",
        Kept.DISK,
        "`terrain doctor` looks for a local Chroma folder: nothing kept",
    ),
    ProcessState(
        "assistant.evaluation.runner:cache_dir",
        Kept.DISK,
        "`terrain eval`'s cache of model answers, a developer's tool run on one machine",
    ),
    ProcessState(
        "assistant.evaluation.suite:cache_dir",
        Kept.DISK,
        "`terrain eval`'s cache of model answers, a developer's tool run on one machine",
    ),
    # ---- translations: the catalogs shipped with Terrain, read once
    ProcessState(
        "assistant.i18n.languages",
        Kept.MEMORY,
        "the languages with a catalog: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.i18n.translation",
        Kept.MEMORY,
        "each language's catalog: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.i18n.MISSING",
        Kept.MEMORY,
        "the messages a catalog lacked, logged once each: a log's memory, no answer depends on it",
    ),
    ProcessState(
        "assistant.web.texts._NOTICED",
        Kept.MEMORY,
        "the unknown browser languages already logged: a log's memory, no answer depends on it",
    ),
    ProcessState(
        "assistant.web.texts.texts_for",
        Kept.MEMORY,
        "the chat's texts per language, built from the catalogs: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.web.pages.texts.page_texts",
        Kept.MEMORY,
        "the staff pages' texts per language, from the catalogs: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.web.pages.report_texts.report_page_texts",
        Kept.MEMORY,
        "the report pages' texts per language, from the catalogs: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.web.pages.profile_texts.profile_texts",
        Kept.MEMORY,
        "the profile fields' texts per language, from the catalogs: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.report.texts._texts",
        Kept.MEMORY,
        "the report's texts per language, from the catalogs: " + _READ_ONLY + _SAME,
    ),
    ProcessState(
        "assistant.report.texts._counted",
        Kept.MEMORY,
        "the report's counted texts per language, from the catalogs: " + _READ_ONLY + _SAME,
    ),
    # ---- pure functions' results, kept for the CPU they save
    ProcessState(
        "assistant.interview.guard._words_of_cached",
        Kept.MEMORY,
        "the words of a short text: a pure function of the text",
    ),
    ProcessState(
        "assistant.llm.structured._json_schema_text",
        Kept.MEMORY,
        "the JSON schema of a response class: a pure function of Terrain's code",
    ),
    ProcessState(
        "assistant.tokens.TokenCounter.__init__",
        Kept.MEMORY,
        "token counts and cut prefixes of short texts: pure functions of the text and the encoding",
    ),
    ProcessState(
        "assistant.web.sessions._claims_of",
        Kept.MEMORY,
        "a sign-in token's checked signature, keyed by the token and the secret (the same on "
        "every replica); its expiry and its account are checked against the clock and the "
        "database at every event",
    ),
)
