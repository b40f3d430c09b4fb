"""Landed payloads -> raw rows, without Dagster: the payload models of each API (`payloads/`),
their parsers (`parsers/`) and the one registry tying each (source, endpoint) to its model,
parser, raw table and landing asset (`endpoints`). May import `domain`; never `sources`,
`storage`, `defs` or `lib`."""
