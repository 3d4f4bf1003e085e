"""Project creation rules, plain Python: every refusal and the happy path."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hgrip_kernel.errors import Conflict, DomainError, Forbidden, InvalidInput
from hgrip_projects.domain import Project, ProjectDetails, project_stream_id

PID = "0b7e6a4c-8f3e-4f7a-9a59-3f7f5b0c1d2e"
NOW = datetime(2023, 6, 28, 2, 30, tzinfo=UTC)
DETAILS = ProjectDetails("三例样本（父母子）的测序数据开放共享备案", "刘晓寒", "liuxh@big.ac.cn")


def never_taken(name):
    return False


@pytest.fixture
def create(make_account):
    def run(acct=None, consent=True, name_taken=never_taken, now=NOW):
        return Project.create(PID, acct or make_account(), DETAILS, consent, name_taken, now)
    return run


def test_happy_path_records_one_project_created_with_institution_from_the_account(create):
    project = create()
    assert project.id == project_stream_id(PID) == f"project-{PID}"
    assert project.stream_type == "project"
    assert [event.type for event in project.pending] == ["ProjectCreated"]
    assert project.pending[0].data == {
        "project_id": PID,
        "name": DETAILS.name,
        "pi_name": "刘晓寒",
        "pi_email": "liuxh@big.ac.cn",
        "institution_code": "12100000400000624D",
        "institution_name": "中国科学院北京基因组研究所",
        "unit_code": "U-001",
        "unit_name": "国家生物信息中心",
        "owner_id": "5a0c8f2e-3b1d-4c6e-9f7a-0d2b4e6f8a10",
        "owner_username": "liuxiaohan",
        "created_at": "2023-06-28T02:30:00+00:00",
    }
    assert project.created and project.state["name"] == DETAILS.name


def test_created_at_is_normalised_to_utc(create):
    beijing = timezone(timedelta(hours=8))
    project = create(now=datetime(2023, 6, 28, 10, 30, tzinfo=beijing))
    assert project.pending[0].data["created_at"] == "2023-06-28T02:30:00+00:00"


def test_account_without_unit_gives_null_unit(create, make_account):
    project = create(make_account(unit=None))
    assert project.pending[0].data["unit_code"] is None
    assert project.pending[0].data["unit_name"] is None


def test_rehydrate_folds_the_stored_event(create):
    created = create()

    class Stored:  # what the store hands back: event_type, data, stream_version
        event_type = "ProjectCreated"
        data = created.pending[0].data
        stream_version = 1

    project = Project.rehydrate(created.id, [Stored()])
    assert project.version == 1 and project.created and project.pending == []
    assert project.state["project_id"] == PID


@pytest.mark.parametrize("role", ["legal_person", "unit_admin", "operator", None])
def test_only_natural_persons(role, create, make_account):
    with pytest.raises(Forbidden) as caught:
        create(make_account(role=role))
    assert caught.value.code == "natural_person_only"


@pytest.mark.parametrize("verified", [False, None, "true"])
def test_real_name_required(verified, create, make_account):
    with pytest.raises(Forbidden) as caught:
        create(make_account(real_name_verified=verified))
    assert caught.value.code == "real_name_required"


@pytest.mark.parametrize("changes", [
    {"authorised": False},
    {"authorised": None},
    {"institution": None},                       # authorised flag but nothing to fill in
    {"institution": {"code": "", "name": "x", "foreign": False}},
])
def test_authorisation_required(changes, create, make_account):
    with pytest.raises(Forbidden) as caught:
        create(make_account(**changes))
    assert caught.value.code == "authorisation_required"


@pytest.mark.parametrize("foreign", [True, None])
def test_foreign_institution_refused(foreign, create, make_account):
    institution = {"code": "F-1", "name": "Foreign Genomics Ltd", "foreign": foreign}
    with pytest.raises(Forbidden) as caught:
        create(make_account(institution=institution))
    assert caught.value.code == "foreign_institution"


@pytest.mark.parametrize("consent", [False, None, "yes", 1, "true"])
def test_consent_required(consent, create):
    with pytest.raises(InvalidInput) as caught:
        create(consent=consent)
    assert caught.value.code == "consent_required"


def test_name_taken_in_this_account(create):
    asked = []

    def taken(name):
        asked.append(name)
        return True

    with pytest.raises(Conflict) as caught:
        create(name_taken=taken)
    assert caught.value.code == "project_name_taken"
    assert asked == [DETAILS.name]


def test_refusal_checks_the_account_before_the_form(create, make_account):
    # A legal person who also forgot consent is told the fundamental reason.
    with pytest.raises(Forbidden) as caught:
        create(make_account(role="legal_person"), consent=False)
    assert caught.value.code == "natural_person_only"


@pytest.mark.parametrize("changes", [
    {"acct": {"role": "legal_person"}},
    {"acct": {"real_name_verified": False}},
    {"acct": {"authorised": False}},
    {"acct": {"institution": {"code": "F", "name": "F", "foreign": True}}},
    {"consent": False},
    {"name_taken": lambda name: True},
])
def test_every_refusal_has_its_own_code_and_english_and_chinese_messages(changes, create, make_account):
    arguments = dict(changes)
    if "acct" in arguments:
        arguments["acct"] = make_account(**arguments["acct"])
    with pytest.raises(DomainError) as caught:
        create(**arguments)
    error = caught.value
    assert error.message and error.message.isascii()
    assert error.message_zh and not error.message_zh.isascii()
    assert error.code in {"natural_person_only", "real_name_required", "authorisation_required",
                          "foreign_institution", "consent_required", "project_name_taken"}
