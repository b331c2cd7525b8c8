"""The hazard subject (排查→登记→整改→验收→销号): `rules.py` (pure), `operations.py` (changes), `queries.py`
(reads), `chain.py` (the ledger's hash chain). Codes come from `domain/codes.py`."""
