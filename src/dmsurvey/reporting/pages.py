"""HTML pages from the Jinja templates in `reporting/templates`: the study report and the
one-page feedback for a firm both render through here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def render_template(name: str, context: Mapping[str, Any]) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("dmsurvey.reporting", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(name).render(**context)
