"""``python -m shared.events``: snapshot new event schemas and regenerate docs/events.md."""

from pathlib import Path

import shared.events.contracts  # noqa: F401 - fills the catalogue
from shared.events.compatibility import check_catalogue, write_new_snapshots
from shared.events.docs import render_catalogue

written = write_new_snapshots()
for key in written:
    print(f"published schema snapshot for {key}")
broken = check_catalogue()
for key, problems in broken.items():
    print(f"{key}: incompatible with its published schema: {'; '.join(problems)}")
Path("docs").mkdir(exist_ok=True)
Path("docs/events.md").write_text(render_catalogue())
print("wrote docs/events.md")
raise SystemExit(1 if broken else 0)
