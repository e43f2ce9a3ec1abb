from dmsurvey.wording import plural


def test_plural_agrees_with_the_count():
    assert plural(1, "response") == "1 response"
    assert plural(2, "response") == "2 responses"
    assert plural(0, "form") == "0 forms"
    assert plural(12000, "firm") == "12,000 firms"
    assert plural(3, "entry", "entries") == "3 entries"


def test_translated_falls_back_to_english_and_fills_fields():
    from dmsurvey.wording import translated

    table = {"saved": {"en": "Saved {n}.", "zh": "已保存{n}份。"}, "only_en": {"en": "Hello"}}
    assert translated(table, "saved", "zh", n=3) == "已保存3份。"
    assert translated(table, "saved", "en", n=1) == "Saved 1."
    assert translated(table, "only_en", "zh") == "Hello"
    assert translated(table, "saved", None, n=2) == "Saved 2."
