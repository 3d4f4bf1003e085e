"""Identity's adapters: tables and read models (SQLAlchemy), argon2 passwords, JWT tokens."""
