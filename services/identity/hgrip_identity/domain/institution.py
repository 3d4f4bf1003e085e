"""Institution (法人): a legal person registered in HGRG, with its units. Stream ``institution-<code>``."""
from hgrip_kernel.aggregate import Aggregate


def institution_stream_id(code: str) -> str:
    return f"institution-{code}"


class Institution(Aggregate):
    stream_type = "institution"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.code: str | None = None
        self.name: str | None = None
        self.foreign = False
        self.units: dict[str, str] = {}  # unit code -> name

    @property
    def exists(self) -> bool:
        return self.code is not None

    def snapshot(self) -> dict:
        return {"code": self.code, "name": self.name, "foreign": self.foreign,
                "units": [{"code": code, "name": name} for code, name in sorted(self.units.items())]}

    # --- command -------------------------------------------------------------------------------
    def upsert(self, code: str, name: str, foreign: bool, units: list[dict]) -> bool:
        """Record what HGRG says the institution is; return False when nothing differs.

        HGRG sends the full unit list each time, so the list replaces ours (a unit HGRG dropped
        disappears here too). Comparing whole snapshots makes a repeated delivery a no-op.
        """
        wanted = {"code": code, "name": name, "foreign": bool(foreign),
                  "units": [{"code": u["code"], "name": u["name"]} for u in sorted(units, key=lambda u: u["code"])]}
        if not self.exists:
            self.record("InstitutionRegistered", wanted)
            return True
        current = self.snapshot()
        if wanted == current:
            return False
        changed = sorted(key for key in wanted if wanted[key] != current[key])
        self.record("InstitutionUpdated", {**wanted, "changed": changed})
        return True

    # --- state ---------------------------------------------------------------------------------
    def apply_InstitutionRegistered(self, data: dict) -> None:
        self.code = data["code"]
        self.name = data["name"]
        self.foreign = data["foreign"]
        self.units = {u["code"]: u["name"] for u in data["units"]}

    def apply_InstitutionUpdated(self, data: dict) -> None:
        self.apply_InstitutionRegistered(data)
