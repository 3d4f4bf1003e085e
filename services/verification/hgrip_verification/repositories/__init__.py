"""The repository adapter: how verification asks GSA-Human, GWH, GVM, GenBase and OMIX about a dataset."""
from .client import Dataset, RepositoryClient, RepositoryUnavailable
from .http_client import HttpRepositoryClient

__all__ = ["Dataset", "HttpRepositoryClient", "RepositoryClient", "RepositoryUnavailable"]
