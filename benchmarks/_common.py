"""Shared helpers for the benchmarks: paths, settings, a synthetic work vocabulary, figures.

Importing this module puts the repository root on ``sys.path`` so that the benchmarks can
start the fake Ollama server from ``tests.ollama_server`` when run as
``python benchmarks/<name>.py``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
# First on the path: some dependency installs a top-level ``tests`` package in site-packages,
# and the editable install's .pth puts the repository after it.
sys.path[:] = [str(ROOT), *(entry for entry in sys.path if entry != str(ROOT))]

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.schemas import Speaker, Turn

CHAT_MODEL = "mistral-small3.2"
EMBED_MODEL = "bge-m3"
EMBED_DIM = 1024  # bge-m3's size, so that vectors weigh what they would in production


def quiet() -> None:
    """No telemetry, no library chatter between the benchmark's own lines."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # A terrain.toml in the working directory must not point the benchmark elsewhere.
    os.environ["TERRAIN_CONFIG"] = os.devnull
    for name in [key for key in os.environ if key.startswith("TERRAIN_") or key == "OLLAMA_HOST"]:
        if name != "TERRAIN_CONFIG":
            del os.environ[name]
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("chromadb", "httpx", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def bench_settings(data_dir: Path, ollama_url: str, **overrides: object) -> Settings:
    """Default settings (chunk size, batch size…) isolated under ``data_dir``."""
    from assistant.config import load_settings

    values: dict[str, object] = {
        "data_dir": data_dir,
        "ollama_host": ollama_url,
        "chat_model": CHAT_MODEL,
        "embed_model": EMBED_MODEL,
        "chroma_url": None,
    }
    values.update(overrides)
    return load_settings(**values)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``samples`` by linear interpolation (numpy's default)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of latencies given in seconds, in milliseconds."""
    millis = [value * 1000 for value in seconds]
    return {
        "p50_ms": round(percentile(millis, 0.50), 2),
        "p95_ms": round(percentile(millis, 0.95), 2),
        "p99_ms": round(percentile(millis, 0.99), 2),
        "mean_ms": round(statistics.fmean(millis), 2),
        "max_ms": round(max(millis), 2),
    }


def emit(figures: dict[str, Any]) -> None:
    """The benchmark's figures as one JSON object: always the last line printed."""
    sys.stderr.flush()
    print(json.dumps(figures, ensure_ascii=False, sort_keys=False), flush=True)


# --------------------------------------------------------------------------------------------
# A synthetic corpus of work documents, French and English. Latin-1 only, so that the same
# sentences can go into PDFs written with the core fonts.
# --------------------------------------------------------------------------------------------

FR_SUBJECTS = (
    "la coordinatrice de secteur",
    "l'aide a domicile",
    "le chef d'equipe",
    "la responsable qualite",
    "le technicien de maintenance",
    "l'infirmiere coordinatrice",
    "le magasinier",
    "la chargee d'accueil",
    "le conducteur de ligne",
    "l'assistante de direction",
    "le cariste",
    "la comptable fournisseurs",
    "le formateur interne",
    "la planificatrice",
    "le responsable des achats",
)
FR_VERBS = (
    "prepare",
    "verifie",
    "transmet",
    "planifie",
    "signale",
    "controle",
    "organise",
    "valide",
    "consigne",
    "negocie",
    "explique",
    "reorganise",
    "archive",
    "met a jour",
    "presente",
)
FR_OBJECTS = (
    "le planning des tournees",
    "la fiche de liaison",
    "le bon de livraison",
    "le registre des incidents",
    "la procedure d'hygiene",
    "le cahier de transmissions",
    "le tableau des astreintes",
    "la demande d'achat",
    "le rapport d'intervention",
    "la grille d'evaluation",
    "le protocole de securite",
    "le compte rendu de reunion",
    "la facture du fournisseur",
    "l'inventaire du stock",
    "le dossier du beneficiaire",
    "la feuille de temps",
    "le plan de formation",
    "la check-list d'ouverture",
)
FR_COMPLEMENTS = (
    "avant la releve du matin",
    "chaque vendredi apres-midi",
    "lors de la visite a domicile",
    "avec le client au telephone",
    "en cas de panne de la machine",
    "pendant l'entretien annuel",
    "des la reception de la commande",
    "quand un salarie est absent",
    "a la fin de la tournee",
    "au moment de la facturation",
    "apres chaque incident",
    "pour la reunion d'equipe",
    "sur le logiciel de gestion",
    "avec l'accord de la direction",
    "en respectant le delai de trois jours",
)
FR_CONNECTORS = (
    "Ensuite,",
    "Par ailleurs,",
    "En pratique,",
    "Souvent,",
    "Dans les faits,",
    "Selon l'equipe,",
    "En principe,",
    "Le lundi,",
)

EN_SUBJECTS = (
    "the shift supervisor",
    "the warehouse clerk",
    "the home care worker",
    "the quality manager",
    "the maintenance technician",
    "the customer service agent",
    "the line operator",
    "the purchasing officer",
    "the team leader",
    "the payroll assistant",
    "the site manager",
    "the dispatcher",
)
EN_VERBS = (
    "checks",
    "prepares",
    "updates",
    "escalates",
    "reviews",
    "schedules",
    "records",
    "approves",
    "hands over",
    "reconciles",
    "audits",
    "explains",
)
EN_OBJECTS = (
    "the delivery schedule",
    "the incident log",
    "the safety checklist",
    "the purchase order",
    "the handover notes",
    "the on-call rota",
    "the maintenance report",
    "the training plan",
    "the customer complaint",
    "the stock inventory",
    "the timesheet",
    "the supplier invoice",
    "the cleaning protocol",
    "the meeting minutes",
)
EN_COMPLEMENTS = (
    "before the morning shift",
    "every Friday afternoon",
    "during the home visit",
    "when a machine breaks down",
    "at the end of the round",
    "after each incident",
    "with the customer on the phone",
    "in the management software",
    "within three working days",
    "for the weekly team meeting",
    "when a colleague is absent",
    "with the manager's approval",
)
EN_CONNECTORS = (
    "Then,",
    "In practice,",
    "Usually,",
    "On Mondays,",
    "According to the team,",
    "As a rule,",
    "Meanwhile,",
)

FR_TOPICS = (
    "Accueil des nouveaux salaries",
    "Organisation des tournees",
    "Gestion des incidents",
    "Hygiene et securite",
    "Relation avec les familles",
    "Facturation et paiements",
    "Maintenance preventive",
    "Gestion du stock",
    "Planification des equipes",
    "Formation interne",
    "Reunions et transmissions",
    "Qualite et audits",
)
EN_TOPICS = (
    "Onboarding new staff",
    "Planning the rounds",
    "Handling incidents",
    "Health and safety",
    "Working with families",
    "Invoicing and payments",
    "Preventive maintenance",
    "Stock management",
    "Shift planning",
    "Internal training",
    "Meetings and handovers",
    "Quality and audits",
)


def sentence(rng: random.Random, language: str) -> str:
    if language == "fr":
        subject, verb = rng.choice(FR_SUBJECTS), rng.choice(FR_VERBS)
        obj, complement = rng.choice(FR_OBJECTS), rng.choice(FR_COMPLEMENTS)
        opener = f"{rng.choice(FR_CONNECTORS)} " if rng.random() < 0.3 else ""
    else:
        subject, verb = rng.choice(EN_SUBJECTS), rng.choice(EN_VERBS)
        obj, complement = rng.choice(EN_OBJECTS), rng.choice(EN_COMPLEMENTS)
        opener = f"{rng.choice(EN_CONNECTORS)} " if rng.random() < 0.3 else ""
    text = f"{opener}{subject} {verb} {obj} {complement}."
    return text[0].upper() + text[1:]


def paragraph(rng: random.Random, language: str, sentences: tuple[int, int] = (4, 9)) -> str:
    return " ".join(sentence(rng, language) for _ in range(rng.randint(*sentences)))


def topic(rng: random.Random, language: str) -> str:
    return rng.choice(FR_TOPICS if language == "fr" else EN_TOPICS)


def next_turn(turns: list[Turn], speaker: Speaker, text: str) -> Turn:
    """A transcript turn of a synthetic interview, numbered after ``turns``."""
    from assistant.schemas import Phase, Turn

    return Turn(
        id=len(turns) + 1,
        interview_id="bench",
        index=len(turns),
        speaker=speaker,
        text=text,
        phase=Phase.EPISODE,
        created_at=datetime.now(UTC),
    )
