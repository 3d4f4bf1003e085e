"""The verification read models: none yet (the database holds the kernel tables only)."""
from sqlalchemy import MetaData

metadata = MetaData()
