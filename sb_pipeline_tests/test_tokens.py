"""The lexical tokeniser on developer text: identifiers whole and in parts, case-folded, function words out."""

import pytest

from sb_pipeline.text.tokens import STOPWORDS, tokens


@pytest.mark.parametrize("text, whole, parts", [
    ("fix get_user_by_id now", "get_user_by_id", ["get", "user", "id"]),
    ("the getUserById helper", "getuserbyid", ["get", "user", "id"]),
    ("HTTPServer crashed", "httpserver", ["http", "server"]),
    ("read os.environ first", "os.environ", ["os", "environ"]),
    ("edit src/api/routes.py.", "src/api/routes.py", ["routes.py", "src", "api", "routes", "py"]),
    ("run pytest --no-cache", "no-cache", ["cache"]),
    ("pin pytest-xdist==3.5", "pytest-xdist", ["pytest", "xdist"]),
    ("ruff says E501", "e501", ["501"]),
    ("socket: ECONNRESET", "econnreset", []),
    ("upgrade to v2.3.1", "v2.3.1", ["v2"]),
])
def test_identifiers_are_kept_whole_and_split(text, whole, parts):
    got = tokens(text)
    assert whole in got
    for part in parts:
        assert part in got, (part, got)


def test_case_is_folded_and_function_words_dropped():
    got = tokens("Why did we drop Celery for the Scheduler?")
    assert got == ["drop", "celery", "scheduler"]
    assert {"the", "why", "did", "we"} <= STOPWORDS


def test_function_words_survive_inside_a_compound_and_single_letters_go():
    got = tokens("set is_enabled and a b c x1")
    assert "is_enabled" in got and "enabled" in got and "is" not in got
    assert not {"a", "b", "c"} & set(got) and "x1" in got


def test_sentence_punctuation_and_quotes_are_not_part_of_a_token():
    got = tokens("""Error: "ModuleNotFoundError: No module named 'yaml'" (see ./setup.py, line 3).""")
    assert "modulenotfounderror" in got and "yaml" in got and "setup.py" in got
    assert not any(t.endswith((".", ":", ",", ")")) or t.startswith(("'", '"', "(")) for t in got), got


def test_no_stemming_mangles_identifiers_and_plurals_fold_only_when_asked():
    assert tokens("status k8s redis") == ["status", "k8s", "8", "redis"]
    assert tokens("migrations queries", fold_plurals=True) == ["migration", "query"]
    assert tokens("status class k8s", fold_plurals=True) == ["status", "class", "k8s", "8"]


def test_repeats_are_kept_for_term_frequency_and_empty_text_gives_nothing():
    assert tokens("retry retry retry") == ["retry"] * 3
    assert tokens("") == [] and tokens("... -- //") == []
