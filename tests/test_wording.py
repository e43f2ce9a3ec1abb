from dmsurvey.wording import plural


def test_plural_agrees_with_the_count():
    assert plural(1, "response") == "1 response"
    assert plural(2, "response") == "2 responses"
    assert plural(0, "form") == "0 forms"
    assert plural(12000, "firm") == "12,000 firms"
    assert plural(3, "entry", "entries") == "3 entries"
