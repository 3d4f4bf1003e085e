"""Projects' adapters: the table and read model (SQLAlchemy), identity over nameko RPC."""
