"""HGRIP identity service: institutions and accounts provisioned by HGRG, login, tokens."""
