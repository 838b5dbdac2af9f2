"""Writes the API's OpenAPI document (as ``GET /api/v1/openapi.json`` serves it) to a file."""

import json
import sys
from pathlib import Path

from borderpass.app.factory import create_app
from borderpass.core.config import Settings
from borderpass.miniapp_api.openapi import build_spec


def main() -> int:
    """``python scripts/export_openapi.py OUT.json``: the document of an app on defaults."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "clients/miniapp/openapi.json")
    spec = build_spec(create_app(Settings.from_env({})))
    out.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(spec['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
