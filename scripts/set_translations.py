"""Set en/my translations of given msgids: ``set_translations.py FILE.json``.

FILE maps each source (Chinese) msgid to {"en": "...", "my": "..."}; the entries are
written into the catalogs and their fuzzy flags cleared. Run it under
``flock /tmp/bp-locales.lock`` when others may edit the catalogs at the same time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

sys.path.insert(0, str(Path(__file__).resolve().parent))
from update_locales import _render

LOCALE_DIR = Path(__file__).resolve().parent.parent / "borderpass" / "locales"


def apply(translations: dict[str, dict[str, str]]) -> list[str]:
    """Write the translations; return the msgids not found in a catalog."""
    missing: list[str] = []
    for locale in ("en", "my"):
        path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for msgid, texts in translations.items():
            message = catalog.get(msgid)
            if message is None:
                missing.append(f"{locale}: {msgid}")
                continue
            message.string = texts[locale]
            message.flags.discard("fuzzy")
            message.previous_id = []
        path.write_bytes(_render(catalog))
    return missing


if __name__ == "__main__":
    missing = apply(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    for line in missing:
        print(f"not in catalog: {line}", file=sys.stderr)
    sys.exit(1 if missing else 0)
