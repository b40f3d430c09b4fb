from pathlib import Path

from nba_pipeline.definitions import build_definitions
from nba_pipeline.lib.schema_check import SCHEMA_CHECK_NAME

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_list_every_check():
    text = DOC.read_text()
    graph = build_definitions("local").resolve_asset_graph()
    missing = []
    for key in graph.asset_check_keys:
        if key.name == SCHEMA_CHECK_NAME:
            continue
        row = f"| `{key.asset_key.to_user_string()}` | `{key.name}` |"
        if row not in text:
            missing.append(row)
        blocking = graph.get(key).blocking
        line = next((x for x in text.splitlines() if x.startswith(row)), "")
        if line and line.rstrip().endswith("**yes** |") != blocking:
            missing.append(f"{row} blocking={blocking}")
    assert not missing, "docs/checks.md is out of date:\n" + "\n".join(missing)
    assert f"`{SCHEMA_CHECK_NAME}`" in text
