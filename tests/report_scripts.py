"""Scripted interviews with planted personal data, for the report's tests and benchmark.

Every employee turn carries a name, a first name, a phone number, an e-mail address, a postal
address, a date of birth and a health detail, all different from one interview to the next;
findings quote them word for word (with their offsets), as extraction would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.report.records import InterviewProfile
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingStatus,
    Interview,
    InterviewStatus,
    PassageCitation,
    Phase,
    PrescribedGap,
    Provenance,
    Quote,
    Speaker,
    Turn,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
_SURNAMES = ("Lefèvre", "Garnier", "Rousseau", "Chevalier", "Fontaine", "Mercier", "Blanchard",
             "Gauthier", "Perrin", "Morel", "Thompson", "Whitfield")  # fmt: skip
_FIRST = ("Mathilde", "Kévin", "Josiane", "Thierry", "Nadège", "Ludovic", "Sandrine", "Grégoire",
          "Solène", "Yannick", "Margaret", "Oliver")  # fmt: skip
_STREETS = ("rue des Capucines", "avenue Jean Jaurès", "impasse du Moulin", "boulevard Gambetta",
            "chemin des Vignes", "rue Pasteur", "allée des Tilleuls", "place du Marché",
            "rue Victor Hugo", "quai de la Loire", "Baker Street", "Elm Road")  # fmt: skip
_CITIES = ("26000 Valence", "07300 Tournon-sur-Rhône", "26200 Montélimar", "38200 Vienne",
           "26100 Romans-sur-Isère", "07100 Annonay", "26400 Crest", "07200 Aubenas",
           "26300 Bourg-de-Péage", "07500 Guilherand-Granges", "LS6 2AB", "M14 5RT")  # fmt: skip
_HEALTH_FR = ("diabète", "Alzheimer", "cancer", "dépression", "AVC", "dialyse", "Parkinson",
              "sclérose en plaques", "insuffisance cardiaque", "démence")  # fmt: skip
_HEALTH_EN = ("dementia", "diabetes")
_MONTHS_FR = ("janvier", "mars", "mai", "juillet", "septembre", "novembre")
_MONTHS_EN = ("January", "March", "May", "July", "September", "November")

ACTIVITIES = ("toilette du matin", "visite à domicile", "coordination avec la famille")
COUNTERPARTS = ("bénéficiaire", "famille", "collègue")


@dataclass(frozen=True)
class Planted:
    name: str
    first_name: str
    phone: str
    email: str
    street: str
    city: str
    birth_date: str
    health: str

    def values(self) -> list[str]:
        return [self.name.split()[-1], self.first_name, self.phone, self.email, self.street,
                self.city, self.birth_date, self.health]  # fmt: skip


@dataclass
class Scripted:
    interviews: list[Interview] = field(default_factory=list)
    turns: dict[str, list[Turn]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)
    profiles: dict[str, InterviewProfile] = field(default_factory=dict)
    account_names: set[str] = field(default_factory=set)

    @property
    def known_names(self) -> set[str]:
        return self.account_names | {i.pseudonym for i in self.interviews}


def _planted(number: int, english: bool) -> Planted:
    surname = _SURNAMES[number % len(_SURNAMES)]
    civility = (
        ("Mrs" if number % 2 else "Mr") if english else ("Madame" if number % 2 else "Monsieur")
    )
    digits = f"{(number * 7919) % 100:02d} {(number * 104729) % 100:02d} {number % 100:02d}"
    phone = f"07700 900{number % 1000:03d}" if english else f"06 {digits} {(number * 31) % 100:02d}"
    year = 1930 + number % 20
    day = 1 + number % 27
    if english:
        birth = f"{day} {_MONTHS_EN[number % 6]} {year}"
        health = _HEALTH_EN[number % 2]
    else:
        birth = f"{day} {_MONTHS_FR[number % 6]} {year}"
        health = _HEALTH_FR[number % len(_HEALTH_FR)]
    local = surname.lower().replace("è", "e").replace("é", "e")
    return Planted(
        name=f"{civility} {surname}",
        first_name=_FIRST[number % len(_FIRST)],
        phone=phone,
        email=f"{local}.{number}@example.fr",
        street=f"{3 + number} {_STREETS[number % len(_STREETS)]}",
        city=_CITIES[number % len(_CITIES)],
        birth_date=birth,
        health=health,
    )


def _sentences(p: Planted, english: bool) -> list[str]:
    if english:
        return [
            f"At {p.name}'s, who was born on {p.birth_date}, I could see she did not dare ask.",
            f"Her daughter {p.first_name} gave me her number, {p.phone}, "
            f"and her e-mail, {p.email}.",
            f"She lives at {p.street}, {p.city}.",
            f"With her {p.health}, I always take the time to explain what I am doing.",
            "She has trusted me with her keys for two years.",
        ]
    return [
        f"Chez {p.name}, née le {p.birth_date}, j'ai vu qu'elle n'osait pas demander.",
        f"Sa fille {p.first_name} m'a donné son numéro, le {p.phone}, et son adresse {p.email}.",
        f"Elle habite au {p.street}, {p.city}.",
        f"Avec son {p.health}, je prends toujours le temps de lui expliquer ce que je fais.",
        "Elle me confie ses clés depuis deux ans.",
    ]


# Which codes each person's findings carry: trust for all, care for 8, empathy for 6,
# mediation for 3 (a theme below the default threshold).
def codes_for(number: int) -> list[str]:
    codes = ["trust"]
    if number < 8:
        codes.append("care")
    if number < 6:
        codes.append("empathy")
    if number < 3:
        codes.append("mediation")
    return codes


_STAGE_OF = {"trust": "service_delivery", "care": "service_delivery", "empathy": "follow_up",
             "mediation": "coordination_planning"}  # fmt: skip
_QUOTE_OF = {"trust": 1, "care": 3, "empathy": 0, "mediation": 2}


def scripted(
    people: int = 12,
    *,
    english_every: int = 6,
    status: FindingStatus = FindingStatus.ACCEPTED,
    seed: int = 7,
) -> Scripted:
    """``people`` interviews, one per person; every ``english_every``-th is in English."""
    rng = random.Random(seed)
    result = Scripted()
    for number in range(people):
        english = english_every > 0 and number % english_every == english_every - 1
        language = "en" if english else "fr"
        interview = Interview(
            id=f"iv{number:04d}",
            pseudonym=f"Participant-{number:04d}",
            owner_key=f"owner:emp{number:04d}",
            language=language,
            status=InterviewStatus.CLOSED,
            phase=Phase.DONE,
            created_at=NOW,
            updated_at=NOW,
        )
        planted = _planted(number, english)
        sentences = _sentences(planted, english)
        text = " ".join(sentences)
        question = "Racontez-moi une visite récente." if not english else "Tell me about a visit."
        turns = [
            Turn(
                id=number * 10,
                interview_id=interview.id,
                index=0,
                speaker=Speaker.INTERVIEWER,
                text=question,
                phase=Phase.EPISODE,
                created_at=NOW,
            ),
            Turn(
                id=number * 10 + 1,
                interview_id=interview.id,
                index=1,
                speaker=Speaker.EMPLOYEE,
                text=text,
                phase=Phase.EPISODE,
                created_at=NOW,
            ),
        ]
        result.interviews.append(interview)
        result.account_names.add(f"emp{number:04d}")
        result.turns[interview.id] = turns
        result.planted.append(planted)
        result.profiles[interview.id] = InterviewProfile(
            role="auxiliaire de vie" if number % 4 else "coordinatrice",
            site="site nord" if number % 2 else "site sud",
        )
        for code in codes_for(number):
            sentence = sentences[_QUOTE_OF[code]]
            start = text.index(sentence)
            gap = None
            if code == "care":
                gap = PrescribedGap(
                    description=f"La procédure prévoit 30 minutes ; avec {planted.name} "
                    "il en faut 45.",
                    passage=PassageCitation(
                        source="procedure-premiere-visite.md",
                        section="Déroulé de la visite",
                        text="La visite dure 30 minutes.",
                    ),
                )
            result.findings.append(
                Finding(
                    id=f"f{number:04d}-{code}",
                    interview_id=interview.id,
                    code=code,
                    activity=ACTIVITIES[rng.randrange(len(ACTIVITIES))]
                    if code != "trust"
                    else ACTIVITIES[0],
                    counterpart=COUNTERPARTS[number % 2],
                    value_chain_stage=_STAGE_OF[code],
                    evidence=[
                        Quote(text=sentence, turn_index=1, start=start, end=start + len(sentence))
                    ],
                    prescribed_gap=gap,
                    automation_exposure=(
                        AutomationExposure.HUMAN_ESSENTIAL
                        if number % 3
                        else AutomationExposure.AUGMENTED
                    ),
                    automation_reasons=f"Un logiciel ne saurait pas que {planted.first_name} "
                    "a peur le matin.",
                    confidence=0.5 + (number % 5) / 10,
                    status=status,
                    provenance=Provenance(
                        model="m", prompt="findings.extract@1.0.0", created_at=NOW
                    ),
                    updated_at=NOW,
                )
            )
    return result


_CODES = ("empathy", "care", "trust", "proximity", "mediation", "adaptability",
          "know_how_transmission", "emotional_intelligence")  # fmt: skip
_STAGES = ("reception_intake", "service_delivery", "follow_up", "coordination_planning",
           "hr_training")  # fmt: skip
_EXTRA_ACTIVITIES = ("courses", "préparation du repas", "lever", "coucher", "sortie",
                     "rendez-vous médical", "transmission au coordinateur")  # fmt: skip


def synthetic(people: int, *, seed: int = 3) -> Scripted:
    """``people`` interviews with three to six findings each, on random codes, stages and
    activities (for the benchmark: varied enough that every section has many rows)."""
    rng = random.Random(seed)
    result = Scripted()
    for number in range(people):
        english = number % 7 == 6
        interview = Interview(
            id=f"sx{number:05d}",
            pseudonym=f"Participant-{number:05d}",
            owner_key=f"owner:user{number:05d}",
            language="en" if english else "fr",
            status=InterviewStatus.CLOSED,
            phase=Phase.DONE,
            created_at=NOW,
            updated_at=NOW,
        )
        planted = _planted(number, english)
        sentences = _sentences(planted, english)
        text = " ".join(sentences)
        result.interviews.append(interview)
        result.account_names.add(f"user{number:05d}")
        result.planted.append(planted)
        result.turns[interview.id] = [
            Turn(
                id=number,
                interview_id=interview.id,
                index=0,
                speaker=Speaker.EMPLOYEE,
                text=text,
                phase=Phase.EPISODE,
                created_at=NOW,
            )
        ]
        result.profiles[interview.id] = InterviewProfile(
            role=rng.choice(("auxiliaire de vie", "coordinatrice", "chargée d'accueil")),
            site=rng.choice(("site nord", "site sud", "vallée")),
        )
        for order in range(rng.randint(3, 6)):
            sentence = sentences[rng.randrange(len(sentences))]
            start = text.index(sentence)
            code = rng.choice(_CODES)
            passage = PassageCitation(
                source=rng.choice(
                    ("procedure-premiere-visite.md", "fiche-poste-charge-accueil.md")
                ),
                section=rng.choice(("Déroulé", "Missions")),
                text="…",
            )
            result.findings.append(
                Finding(
                    id=f"g{number:05d}-{order}",
                    interview_id=interview.id,
                    code=code,
                    activity=rng.choice((*ACTIVITIES, *_EXTRA_ACTIVITIES)),
                    counterpart=rng.choice((*COUNTERPARTS, "médecin", "voisin")),
                    value_chain_stage=rng.choice(_STAGES),
                    evidence=[
                        Quote(text=sentence, turn_index=0, start=start, end=start + len(sentence))
                    ],
                    prescribed_gap=PrescribedGap(
                        description="Le temps prévu ne suffit pas.", passage=passage
                    )
                    if rng.random() < 0.3
                    else None,
                    automation_exposure=rng.choice(list(AutomationExposure)),
                    automation_reasons=rng.choice(
                        ("Il faut être là.", "Un outil aiderait à planifier.", "")
                    ),
                    confidence=rng.random(),
                    status=FindingStatus.ACCEPTED,
                    provenance=Provenance(
                        model="m", prompt="findings.extract@1.0.0", created_at=NOW
                    ),
                    updated_at=NOW,
                )
            )
    return result
