"""Personal data in free text: what it looks like, how it is found, and the names a document holds.

One package for everything that finds people and their details in text, so that the report
(which redacts what leadership reads), facilitators' masking (:mod:`assistant.masking`) and the
knowledge base (which keeps the names the company's documents hold) all use the same rules:

- :mod:`~assistant.personal_data.patterns`: the recognizers that need no model (civilities,
  addresses, dates of birth, phone numbers, health terms, first names);
- :mod:`~assistant.personal_data.redaction`: Presidio over spaCy's French pipeline and those
  patterns, which finds and replaces;
- :mod:`~assistant.personal_data.names`: the person names and the other proper nouns of a
  document.

It imports nothing else of Terrain's, and loads no spaCy pipeline when imported.
"""
