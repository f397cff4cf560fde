"""`terrain import`: transcripts (JSON, text, WebVTT) read, checked, stored whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from assistant.cli.importing import import_transcripts
from assistant.config import load_settings
from assistant.schemas import InterviewStatus, Phase, Speaker
from assistant.store import Store
from assistant.transcripts import (
    SpeakerLabels,
    TranscriptFormat,
    TranscriptFormatError,
    normalize_label,
    parse_transcript,
)

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
JSON_FILE = FIXTURES / "visite-matin.json"
TEXT_FILE = FIXTURES / "visite-soir.md"
VTT_FILE = FIXTURES / "visite-midi.vtt"

INT, EMP = Speaker.INTERVIEWER, Speaker.EMPLOYEE

cli = typer.Typer()
cli.command(name="import")(import_transcripts)


@cli.callback()
def _root() -> None:
    """Just the import command, as the real app registers it."""


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    return data


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def stored_interviews(data_dir: Path) -> list[tuple[str, int]]:
    """(source, number of turns) of every interview in the data folder's database."""
    with Store.open(load_settings(data_dir=data_dir)) as store:
        return sorted(
            (i.source, len(store.interviews.turns(i.id))) for i in store.interviews.where()
        )


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def speakers_and_texts(path: Path) -> list[tuple[Speaker, str]]:
    return [(turn.speaker, turn.text) for turn in parse_transcript(path).turns]


# -- the three formats ---------------------------------------------------------------------------


def test_a_json_transcript() -> None:
    transcript = parse_transcript(JSON_FILE)
    assert transcript.source == "visite-matin.json"
    assert transcript.format is TranscriptFormat.JSON
    assert (transcript.language, transcript.language_guessed) == ("fr", False)
    assert [turn.speaker for turn in transcript.turns] == [INT, EMP, INT, EMP, INT, EMP]
    assert transcript.turns[1].text.startswith("Mardi matin, chez Mme L.")
    assert transcript.turns[2].text == "Qu'avez-vous fait à ce moment-là ?"


def test_a_text_transcript_with_bold_labels_and_continuation_lines() -> None:
    transcript = parse_transcript(TEXT_FILE)
    assert transcript.format is TranscriptFormat.TEXT
    assert (transcript.language, transcript.language_guessed) == ("fr", True)
    assert [turn.speaker for turn in transcript.turns] == [INT, EMP, INT, EMP, INT, EMP]
    assert transcript.turns[0].text == "Parlez-moi d'une visite du soir qui vous a marquée."
    assert transcript.turns[1].text == (
        "Jeudi dernier, chez M. R. Le coucher est prévu en vingt minutes.\n"
        "Ce soir-là, sa voisine était passée lui dire que l'immeuble allait être en travaux,\n"
        "et il ne comprenait pas ce que ça voulait dire pour lui."
    )
    assert transcript.turns[0].line == 6  # the title, date and duration are left out
    assert transcript.speakers == {"Intervieweur": INT, "Salarié(e)": EMP}
    assert all("Date" not in turn.text for turn in transcript.turns)


def test_a_webvtt_transcript_merges_consecutive_cues_of_one_speaker() -> None:
    transcript = parse_transcript(VTT_FILE)
    assert transcript.format is TranscriptFormat.VTT
    assert transcript.language == "fr"
    # Two names and no role: the first to speak is the interviewer.
    assert transcript.speakers == {"Claire": INT, "Nadia": EMP}
    assert [turn.speaker for turn in transcript.turns] == [INT, EMP, INT, EMP]
    assert transcript.turns[1].text == (
        "J'arrive, elle n'a pas touché au repas livré la veille. Elle dit qu'elle n'a pas faim. "
        "Alors je ne force pas : je m'assois, je mange un fruit avec elle, on parle de sa "
        "petite-fille."
    )
    assert all("<" not in turn.text and "Nadia" not in turn.text for turn in transcript.turns)


def test_json_speakers_are_case_insensitive_aliases_and_extra_keys_are_ignored(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "t.json",
        json.dumps(
            {
                "meta": {"x": 1},
                "language": "EN-gb",
                "turns": [
                    {"speaker": "Assistant", "text": "  What did you do?  ", "t": 3},
                    {"speaker": "PARTICIPANT", "text": "I sat with her for a while."},
                    {"speaker": "Interviewer", "text": "Why?"},
                    {"speaker": "employee", "text": "Because she was worried."},
                ],
            }
        ),
    )
    transcript = parse_transcript(path)
    assert transcript.language == "en"
    assert speakers_and_texts(path) == [
        (INT, "What did you do?"),
        (EMP, "I sat with her for a while."),
        (INT, "Why?"),
        (EMP, "Because she was worried."),
    ]


def test_text_labels_in_their_usual_forms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "Q: Vous faites quoi le matin ?\n"
        "R : Je prépare les tournées.\n"
        "**Interviewer:** Et ensuite ?\n"
        "__Employé(e)__ : Je pars chez la première personne.\n"
        "Participant: Elle m'attend à la fenêtre.\n"
        "A: Toujours.\n"
        "Salarié·e : C'est notre rituel.\n",
    )
    assert [speaker for speaker, _ in speakers_and_texts(path)] == [
        INT,
        EMP,
        INT,
        EMP,
        EMP,
        EMP,
        EMP,
    ]
    assert speakers_and_texts(path)[3] == (EMP, "Je pars chez la première personne.")


def test_two_names_in_a_text_file_the_first_to_speak_is_the_interviewer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "Entretien du 3 avril\n\n"
        "Sophie Martin : Comment se passe la visite du soir ?\n"
        "Karim : Je prends le temps de parler avec lui.\n"
        "Il est seul toute la journée.\n\n"
        "Sophie Martin (animatrice) : Et si on vous retirait ce temps ?\n"
        "Karim : Il refuserait la toilette.\n",
    )
    transcript = parse_transcript(path)
    assert [turn.speaker for turn in transcript.turns] == [INT, EMP, INT, EMP]
    assert transcript.turns[1].text == (
        "Je prends le temps de parler avec lui.\nIl est seul toute la journée."
    )
    assert transcript.speakers["Karim"] is EMP


def test_custom_labels(tmp_path: Path) -> None:
    labels = SpeakerLabels(interviewer=frozenset({"Coach"}), employee=frozenset({"Agent"}))
    path = write(tmp_path, "t.txt", "Coach: Bonjour ?\nAgent: Je suis aide à domicile.\n")
    transcript = parse_transcript(path, labels=labels)
    assert [turn.speaker for turn in transcript.turns] == [INT, EMP]
    assert normalize_label(" Salarié(e) ") == normalize_label("salarie") == "salarie"


def test_encodings_and_line_endings(tmp_path: Path) -> None:
    text = "Intervieweur : Où étiez-vous ?\r\nSalarié : Chez Mme Lefèvre, à côté.\r\n"
    cp1252 = write(tmp_path, "cp1252.txt", text.encode("cp1252"))
    bom = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))
    utf16 = write(tmp_path, "utf16.txt", text.encode("utf-16"))
    for path, codec in ((cp1252, "cp1252"), (bom, "utf-8-sig"), (utf16, "utf-16")):
        transcript = parse_transcript(path)
        assert transcript.encoding == codec
        assert [(t.speaker, t.text) for t in transcript.turns] == [
            (INT, "Où étiez-vous ?"),
            (EMP, "Chez Mme Lefèvre, à côté."),
        ]
    cues = (
        "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nQ: Là ?\r\n\r\n00:02.000 --> 00:03.000\r\nR: Oui."
    )
    vtt = write(tmp_path, "bom.vtt", b"\xef\xbb\xbf" + cues.encode("utf-8"))
    assert speakers_and_texts(vtt) == [(INT, "Là ?"), (EMP, "Oui.")]


def test_webvtt_details(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.vtt",
        "WEBVTT\nKind: captions\nLanguage: fr\n\n"
        "STYLE\n::cue { color: white }\n\n"
        "NOTE une remarque\nsur deux lignes\n\n"
        "intro\n00:00:00.000 --> 00:00:02.000 line:0\n"
        "<v.loud Intervieweuse>Bonjour, <i>comment</i> ça va ?</v>\n\n"
        "00:02.000 --> 00:04.000\n<v Salarié>Bien &amp; vous ?</v>\n"
        "00:04.000 --> 00:06.000\n<v Intervieweuse>Très bien.</v> <v Salarié>Tant mieux.\n\n"
        "00:06.000 --> 00:08.000\nSalarié : Une autre phrase.\n",
    )
    assert speakers_and_texts(path) == [
        (INT, "Bonjour, comment ça va ?"),
        (EMP, "Bien & vous ?"),
        (INT, "Très bien."),
        (EMP, "Tant mieux. Une autre phrase."),
    ]


def test_the_language_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "Q: Tell me.\nA: I sat with her and we talked.\n")
    assert parse_transcript(path).language == "en"
    assert parse_transcript(path, language="fr").language == "fr"


# -- malformed files -----------------------------------------------------------------------------

MALFORMED: list[tuple[str, str | bytes, str]] = [
    ("bad.json", '{"turns": [\n  {"speaker": "employee", "text": "x"},\n]}', "line 3"),
    ("bad.json", '{"turns": [{"speaker": "employee", "text": "x"}', "not valid JSON"),
    ("noturns.json", '{"language": "fr", "speakers": []}', "no 'turns' list"),
    ("emptyturns.json", '{"turns": []}', "'turns' list is empty"),
    ("list.json", '[{"speaker": "employee", "text": "x"}]', "not an object"),
    (
        "speaker.json",
        '{"turns": [{"speaker": "employee", "text": "a"}, {"speaker": "boss", "text": "b"}]}',
        "turn 2 (turns[1]) has the unknown speaker 'boss'",
    ),
    (
        "notext.json",
        '{"turns": [{"speaker": "employee", "text": "a"}, {"speaker": "employee", "text": " "}]}',
        "turn 2 (turns[1]) has no text",
    ),
    (
        "missing.json",
        '{"turns": [{"speaker": "employee", "text": "a"}, {"speaker": "employee"}]}',
        "'turns[1].text': field required",
    ),
    (
        "lang.json",
        '{"language": "de", "turns": [{"speaker": "employee", "text": "a"}]}',
        "language 'de' is not one",
    ),
    (
        "interviewer-only.json",
        '{"turns": [{"speaker": "interviewer", "text": "Bonjour ?"}]}',
        "no turn is the employee's",
    ),
    (
        "nolabels.txt",
        "Je suis aide à domicile.\nJe passe chez Mme L. le matin.\n",
        "no line starts",
    ),
    (
        "three.txt",
        "Sophie : Bonjour.\nKarim : Bonjour.\nLucie : Et moi ?\n",
        "3 distinct speaker labels",
    ),
    (
        "mixed.txt",
        "Intervieweur : Bonjour.\nKarim : Bonjour.\n",
        "speaker labels Terrain does not know: 'Karim' (line 2)",
    ),
    ("emptyturn.txt", "Q: Bonjour ?\nR:\n\nQ: Alors ?\nR: Oui.\n", "line 2"),
    ("bad.vtt", "WEBVTT\n\n00:00:01.000 -> 00:00:04.000\nQ: Oui ?\n", "line 3"),
    ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:04\nR: Oui.\n", "invalid cue timing"),
    ("bad.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nR: Oui.\n", "ends before it starts"),
    ("bad.vtt", "WEBVTT\n\n00:01:75.000 --> 00:02:00.000\nR: Oui.\n", "invalid cue timing"),
    (
        "nospeaker.vtt",
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nBonjour, je suis aide à domicile.\n",
        "has no speaker",
    ),
    ("noheader.vtt", "00:00:01.000 --> 00:00:04.000\n<v R>Oui.\n", "starts with the line 'WEBVTT'"),
    ("nocues.vtt", "WEBVTT\n\nNOTE rien\n", "has no cue"),
    ("garbage.txt", bytes(range(256)) * 4, "not a text file"),
    ("garbage.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
    ("empty.txt", "  \n", "the file is empty"),
    ("doc.pdf", b"%PDF-1.7", "not .pdf files"),
]


@pytest.mark.parametrize(("name", "content", "says"), MALFORMED)
def test_a_malformed_file_is_refused_clearly(
    tmp_path: Path, name: str, content: str | bytes, says: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript(path)
    message = str(caught.value)
    assert str(path) in message
    assert says in message
    assert caught.value.path == path


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptFormatError, match="cannot be read"):
        parse_transcript(tmp_path / "nope.txt")


def test_the_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.vtt", "WEBVTT\n\nNOTE x\n\n1\n00:00:01.000 --> 00:00:02,000\nR: a\n")
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript(path)
    assert caught.value.line == 6
    assert f"{path}, line 6" in str(caught.value)


# -- the command ---------------------------------------------------------------------------------


def test_import_prints_the_new_interviews_and_stores_them(data_dir: Path) -> None:
    result = run(JSON_FILE, TEXT_FILE, VTT_FILE)
    assert result.exit_code == 0, result.output
    with Store.open(load_settings(data_dir=data_dir)) as store:
        interviews = {i.source: i for i in store.interviews.where()}
        assert set(interviews) == {"visite-matin.json", "visite-soir.md", "visite-midi.vtt"}
        for interview in interviews.values():
            assert interview.id in result.stdout
            assert (interview.status, interview.phase) == (InterviewStatus.CLOSED, Phase.DONE)
            assert (interview.consent_given, interview.consent_version) == (True, "imported")
            assert interview.language == "fr"
        turns = store.interviews.turns(interviews["visite-midi.vtt"].id)
        assert [t.speaker for t in turns] == [INT, EMP, INT, EMP]
        assert {t.phase for t in turns} == {Phase.EPISODE}
        assert [t.index for t in turns] == [0, 1, 2, 3]
        assert turns == store.interviews.turns(interviews["visite-midi.vtt"].id)
    assert "Claire = interviewer" in result.stdout  # the person importing can check it


def test_import_json_output(data_dir: Path) -> None:
    result = run("--json", JSON_FILE, VTT_FILE)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [entry["source"] for entry in printed] == ["visite-matin.json", "visite-midi.vtt"]
    for entry in printed:
        assert {"id", "source"} <= set(entry)
        assert entry["language"] == "fr"
    assert printed[0]["turns"] == 6
    assert stored_interviews(data_dir) == sorted([("visite-matin.json", 6), ("visite-midi.vtt", 4)])


@pytest.mark.parametrize(("name", "content", "says"), MALFORMED)
def test_a_malformed_file_imports_nothing_and_fails(
    data_dir: Path, tmp_path: Path, name: str, content: str | bytes, says: str
) -> None:
    path = write(tmp_path, name, content)
    result = run("--json", path)
    assert result.exit_code == 1
    assert says in " ".join(result.stderr.split())
    assert name in result.stderr
    assert json.loads(result.stdout) == []
    assert stored_interviews(data_dir) == []


def test_good_files_are_imported_beside_bad_ones(data_dir: Path, tmp_path: Path) -> None:
    bad_json = write(tmp_path, "bad.json", '{"turns": [{"speaker": "boss", "text": "x"}]}')
    bad_vtt = write(tmp_path, "bad.vtt", "WEBVTT\n\n00:01.000 --> 00:00.500\nR: x\n")
    result = run(bad_json, TEXT_FILE, bad_vtt, JSON_FILE)
    assert result.exit_code == 1
    stderr = " ".join(result.stderr.split())
    assert "bad.json" in stderr
    assert "bad.vtt" in stderr
    assert "2 of 4 files were not imported" in stderr
    assert stored_interviews(data_dir) == [("visite-matin.json", 6), ("visite-soir.md", 6)]
    assert "visite-soir.md" in result.stdout


def test_the_lang_option(data_dir: Path, tmp_path: Path) -> None:
    result = run("--json", "--lang", "en", TEXT_FILE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["language"] == "en"
    refused = run("--lang", "de", TEXT_FILE)
    assert refused.exit_code == 1
    assert "Unknown language 'de'" in refused.stderr


# -- the same transcript twice -------------------------------------------------------------------


def as_labelled_text(path: Path) -> str:
    """The transcript in ``path`` written again as text with speaker labels, lines rewrapped."""
    labels = {INT: "Intervieweur", EMP: "Salarié(e)"}
    lines = []
    for turn in parse_transcript(path).turns:
        rewrapped = turn.text.replace(". ", ".\r\n", 1)
        lines.append(f"{labels[turn.speaker]} : {rewrapped}")
    return "\r\n".join(lines)


def test_the_digest_is_of_who_said_what_not_of_the_file(tmp_path: Path) -> None:
    original = parse_transcript(JSON_FILE)
    again = parse_transcript(write(tmp_path, "copie.txt", as_labelled_text(JSON_FILE)))
    assert again.format is TranscriptFormat.TEXT
    assert again.content_digest == original.content_digest
    edited = json.loads(JSON_FILE.read_text(encoding="utf-8"))
    edited["turns"][3]["text"] += " Voilà."
    changed = parse_transcript(write(tmp_path, "edited.json", json.dumps(edited)))
    assert changed.content_digest != original.content_digest
    edited = json.loads(JSON_FILE.read_text(encoding="utf-8"))
    edited["turns"][4]["speaker"] = "employee"
    swapped = parse_transcript(write(tmp_path, "swapped.json", json.dumps(edited)))
    assert swapped.content_digest != original.content_digest


def test_importing_a_transcript_again_is_refused_naming_the_first_interview(
    data_dir: Path, tmp_path: Path
) -> None:
    first = run("--json", JSON_FILE)
    assert first.exit_code == 0, first.output
    first_id = json.loads(first.stdout)[0]["id"]
    again = run(JSON_FILE)
    assert again.exit_code == 1
    stderr = " ".join(again.stderr.split())
    assert f"already imported as interview {first_id}" in stderr
    assert "--allow-duplicate" in stderr
    renamed = write(tmp_path, "autre-nom.txt", as_labelled_text(JSON_FILE))
    assert run(renamed).exit_code == 1
    assert stored_interviews(data_dir) == [("visite-matin.json", 6)]


def test_the_same_file_twice_in_one_command_is_imported_once(data_dir: Path) -> None:
    result = run(JSON_FILE, TEXT_FILE, JSON_FILE)
    assert result.exit_code == 1
    assert "1 of 3 files was not imported" in " ".join(result.stderr.split())
    assert stored_interviews(data_dir) == [("visite-matin.json", 6), ("visite-soir.md", 6)]


def test_allow_duplicate_imports_a_second_interview(data_dir: Path) -> None:
    assert run(JSON_FILE).exit_code == 0
    result = run("--json", "--allow-duplicate", JSON_FILE)
    assert result.exit_code == 0, result.output
    assert stored_interviews(data_dir) == [("visite-matin.json", 6), ("visite-matin.json", 6)]
    assert "--allow-duplicate" in CliRunner().invoke(cli, ["import", "--help"]).stdout
