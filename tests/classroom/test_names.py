"""Display names: one line of visible text, at most 40 characters, kept for the whole class."""

import json
import threading
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.classroom import names
from mnist_app.classroom.names import MAX_NAME, check_name, name_of, remember
from mnist_app.errors import UserError


@pytest.mark.parametrize(
    "name", ["Ada", "  Ada Lovelace  ", "Zoë", "李小龍", "O'Brien-Smith", "x" * MAX_NAME, "😀 Team"]
)
def test_a_name_of_one_visible_line_is_kept_stripped(name):
    assert check_name(name) == name.strip()


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("Ada\nLovelace", "one line"),
        ("Ada\rLovelace", "one line"),
        ("Ada\u2028Lovelace", "one line"),
        ("Ada\u2029Lovelace", "one line"),
        ("x" * (MAX_NAME + 1), "41 characters; at most 40"),
        ("Ada\tLovelace", "control or formatting"),
        ("Ada\x1b[31mRed", "control or formatting"),
        ("Ada\x00", "control or formatting"),
        ("\u202eexe.txt", "control or formatting"),
        ("Ada\u200bLovelace", "control or formatting"),
        ("Ada\u2066x\u2069", "control or formatting"),
        ("Ada\ud800", "control or formatting"),
        ("Ada\ue000", "control or formatting"),
        (None, "must be text"),
        (42, "must be text"),
    ],
)
def test_a_name_that_would_change_how_a_page_reads_is_refused_saying_why(name, said):
    with pytest.raises(UserError, match=said):
        check_name(name)


def test_the_refusal_never_repeats_the_name():
    typed = "<script>\nalert(1)</script>"
    with pytest.raises(UserError) as refused:
        check_name(typed)
    assert "script" not in str(refused.value)


@given(st.text(max_size=60))
def test_every_name_kept_is_one_visible_line_of_at_most_40_characters(text):
    try:
        name = check_name(text)
    except UserError:
        return
    assert 1 <= len(name) <= MAX_NAME
    assert name == name.strip() and len(name.splitlines()) == 1
    assert not any(unicodedata.category(char).startswith("C") for char in name)


def test_names_are_remembered_by_token_for_every_process(classroom_dir):
    assert name_of("token-a") == "" and names.names() == {}
    assert remember("token-a", "  Ada  ") == "Ada"
    remember("token-b", "Grace")
    remember("token-a", "Ada L.")
    assert names.names() == {"token-a": "Ada L.", "token-b": "Grace"}
    assert json.loads((classroom_dir / names.NAMES_FILE).read_text()) == names.names()
    assert name_of("nobody") == "" and name_of(None) == ""


def test_a_refused_name_is_not_remembered():
    with pytest.raises(UserError):
        remember("token-a", "bad\nname")
    with pytest.raises(UserError):
        remember("", "Ada")
    assert names.names() == {}


def test_names_given_at_once_are_all_kept():
    threads = [threading.Thread(target=remember, args=(f"token-{i}", f"Student {i}")) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert names.names() == {f"token-{i}": f"Student {i}" for i in range(12)}


def test_the_oldest_names_are_forgotten_past_the_cap(monkeypatch):
    monkeypatch.setattr(names, "MAX_NAMES", 3)
    for i in range(5):
        remember(f"token-{i}", f"Student {i}")
    assert list(names.names()) == ["token-2", "token-3", "token-4"]


def test_a_forged_names_file_gives_only_its_sound_names(classroom_dir, caplog):
    classroom_dir.mkdir()
    forged = {"good": "Ada", "newline": "a\nb", "rtl": "\u202eevil", "long": "x" * 41, "number": 7, "": "x"}
    (classroom_dir / names.NAMES_FILE).write_text(json.dumps(forged))
    assert names.names() == {"good": "Ada"}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"text"', "[" * 100_000])
def test_a_damaged_names_file_is_no_names_and_a_warning(classroom_dir, caplog, content):
    classroom_dir.mkdir()
    (classroom_dir / names.NAMES_FILE).write_text(content)
    assert names.names() == {}
    assert "names.json is ignored" in caplog.text
    remember("token-a", "Ada")
    assert names.names() == {"token-a": "Ada"}


@pytest.mark.parametrize("name", ["Teacher", " the  TEACHER ", "\uff34\uff45acher", "Admin"])
def test_a_name_that_passes_for_the_teacher_is_refused(name):
    with pytest.raises(UserError, match="cannot say that you are the teacher"):
        check_name(name)
    assert check_name("Teacher's pet") == "Teacher's pet"
