"""What personal data looks like in French and English text, as patterns and word lists.

The recognizers that need no model: a civility followed by a name, postal addresses (French and
British), dates of birth, telephone numbers, health details (a term list, French and English),
and first names alone (the first-name lists that Faker ships for French- and English-speaking
locales, among others). :mod:`assistant.personal_data.redaction` runs them beside spaCy's
named entities; :mod:`assistant.personal_data.names` reads documents' civilities with them.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Conditions and diagnoses, French and English. Stems end with \w* where the word inflects.
HEALTH_TERMS = (
    r"diab[eè]t\w*",
    r"alzheimer",
    r"parkinson\w*",
    r"cancers?",
    r"canc[ée]reu\w*",
    r"tumeurs?",
    r"tumou?rs?",
    r"leuc[ée]mie",
    r"leuka?emia",
    r"chimioth[ée]rapie",
    r"chimio",
    r"chemo(?:therapy)?",
    r"radioth[ée]rapie",
    r"radiotherapy",
    r"d[ée]pression",
    r"d[ée]pressi(?:f|ve)",
    r"depressed",
    r"burn-?out",
    r"AVC",
    r"accident vasculaire c[ée]r[ée]bral",
    r"strokes?",
    r"infarctus",
    r"heart attack",
    r"crise cardiaque",
    r"insuffisance (?:r[ée]nale|cardiaque|respiratoire)",
    r"(?:kidney|heart|renal) failure",
    r"dialys[ée]s?",
    r"dialysis",
    r"scl[ée]rose en plaques",
    r"multiple sclerosis",
    r"d[ée]mence",
    r"dementia",
    r"schizophr[èé]n\w*",
    r"bipolaires?",
    r"bipolar",
    r"[ée]pilep\w*",
    r"VIH",
    r"HIV",
    r"sida",
    r"AIDS",
    r"h[ée]patite\s?[A-C]?",
    r"hepatitis\s?[A-C]?",
    r"s[ée]ropositi(?:f|ve)",
    r"mucoviscidose",
    r"cystic fibrosis",
    r"autis\w*",
    r"trisomi\w*",
    r"down syndrome",
    r"anorexi\w*",
    r"boulimi\w*",
    r"bulimi\w*",
    r"addiction",
    r"alcoolique",
    r"alcoholic",
    r"incontinen\w*",
    r"escarres?",
    r"pressure sores?",
    r"fracture du col du f[ée]mur",
    r"hip fracture",
    r"arthrose",
    r"arthritis",
    r"ost[ée]oporose",
    r"osteoporosis",
    r"hypertension",
    r"diabetes",
    r"diabetic",
    r"cirrhos\w*",
    r"covid(?:-19)?",
    r"tuberculos\w*",
)

HEALTH = re.compile(r"(?<![\w])(?:" + "|".join(HEALTH_TERMS) + r")(?![\w])", re.IGNORECASE)

_CIVILITY = (
    r"(?i:madame|monsieur|mademoiselle|docteur|doctor|professeur|ma[iî]tre)"
    r"|Mme|Mlle|Mmes|MM\.|M\.|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|Pr\.?"
)
_NAME_WORD = r"(?:[A-ZÀ-Ý][a-zà-ÿ'’]+(?:-[A-ZÀ-Ý][a-zà-ÿ'’]+)?|[A-ZÀ-Ý]\.?(?:-?[A-ZÀ-Ý]\.)?)"
CIVILITY_NAME = re.compile(
    rf"(?<![\w])(?:{_CIVILITY})\s+(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?)(?![\w])"
)

_STREET_TYPES = (
    r"rue|avenue|av\.|boulevard|bd|place|all[ée]e|impasse|chemin|route|quai|cours|square"
    r"|passage|faubourg|lotissement|r[ée]sidence|cit[ée]|sentier|voie|villa|hameau"
)
_STREET_WORD = (
    r"(?:[A-ZÀ-Ý0-9][\w'’-]*|(?:l|d)['’][A-ZÀ-Ý][\w'’-]*"
    r"|(?:des|de|du|la|le|les|aux|au|sur|en|et)(?![\w]))"
)
FRENCH_STREET = re.compile(
    rf"(?<![\w])\d{{1,4}}(?:\s?(?:bis|ter|[A-D]))?,?\s+(?i:{_STREET_TYPES})"
    rf"(?:\s+{_STREET_WORD}){{1,6}}"
)
POSTCODE_CITY = re.compile(
    r"(?<![\w])(?:[0-9]{5}|[0-9]{2}\s[0-9]{3})\s+[A-ZÀ-Ý][\w'’-]+(?:[\s-](?:sur|sous|en|le|la|les|"
    r"de|du|des|[A-ZÀ-Ý][\w'’-]+))*"
)
ENGLISH_STREET = re.compile(
    r"(?<![\w])\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Close|Way|Crescent|Gardens|Terrace|Court)"
    r"(?![\w])"
)
UK_POSTCODE = re.compile(r"(?<![\w])[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}(?![\w])")

_MONTHS = (
    r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
    r"|d[ée]cembre|january|february|march|april|may|june|july|august|september|october"
    r"|november|december"
)
_DATE = (
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:\d{{1,2}}(?:er|st|nd|rd|th)?\s+)?(?:{_MONTHS})\s+(?:\d{{1,2}},?\s+)?\d{{4}}|\d{{4}}"
)
DATE_OF_BIRTH = re.compile(
    rf"(?<![\w])(?:n[ée]e?s?|naissance|born|birth|DOB|date of birth|birthday|anniversaire)"
    rf"[^.;\n]{{0,25}}?(?P<date>{_DATE})(?![\w])",
    re.IGNORECASE,
)

PHONE_FALLBACK = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?\d{1,3}[\s.-]?\(?0?\)?[\s.-]?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?![\w])"
)

# Capitalised words that are first names in some list but mostly mean something else.
_NOT_FIRST_NAMES = frozenset(
    {
        "May", "June", "April", "August", "Will", "Hope", "Joy", "Faith", "Mark", "Bill",
        "Frank", "Rich", "Page", "Lane", "Art", "Sunny", "Rose", "Olive", "Amber", "Summer",
        "Grace", "Dawn", "Eve", "Lou", "Ben", "Victoire", "Constance", "Prudence", "Aurore",
        "France", "Paris", "Sans", "Maria", "Sage", "Pat", "Don", "Guy", "Roger", "Avril",
        "Mai", "Juin", "Noël", "Marine", "Colombe", "Florence", "Nancy", "Lorraine", "Madeleine",
        "Claire",
    }
)  # fmt: skip
_FIRST_NAME_LOCALES = (
    "fr_FR", "fr_BE", "fr_CA", "fr_CH", "fr_QC", "fr_DZ", "en_US", "en_GB", "en_IE",
    "es_ES", "it_IT", "pt_PT", "pt_BR", "de_DE", "nl_NL", "pl_PL", "ro_RO", "tr_TR",
)  # fmt: skip
FIRST_NAME_TOKEN = re.compile(r"(?<![\w'’-])[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?(?![\w])")


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """First names from Faker's person providers (maintained, shipped in the package)."""
    import importlib

    names: set[str] = set()
    for locale in _FIRST_NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            value = getattr(provider, attribute, ())
            names.update(value.keys() if isinstance(value, dict) else value)
    return (
        frozenset(name for name in names if len(name) >= 3 and name.isalpha() and name[0].isupper())
        - _NOT_FIRST_NAMES
    )
