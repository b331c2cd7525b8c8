"""我的待办: what waits for a person, gathered from every subject (the one handler package that reads
them all, as `domain/reports` does in the domain; no subject imports it)."""
