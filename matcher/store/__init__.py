"""The system of record: SQL tables, sessions and migrations. Every index is rebuilt from here."""
