"""parse_application on the real Argo CD files and on variants derived from them."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from portal.ops.argocd.parse import commit_url, is_sha, parse_application, short_revision

VELERO_SHA = "ea8759964626a583667a2bfd08f334ec2070040a"
GUESTBOOK_SHA = "53e28ff20cc530b9ada2173fbbd64d48338583ba"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_parse_controller_fixture_reads_every_field(velero_app: dict[str, Any]) -> None:
    app = parse_application(velero_app)

    assert (app.name, app.namespace, app.project, app.app) == (
        "velero-test",
        "argo-cd",
        "sre",
        "velero-test",  # no app label: the Application's name
    )
    assert app.repo_url == "https://github.com/foo/manifests-velero.git"
    assert (app.path, app.target_revision, app.destination_namespace) == (
        "instances/test",
        "test-lla",
        "test-lla",
    )
    assert (app.sync_status, app.health_status) == ("Synced", "Healthy")
    # `rev1` is not a SHA: shown as it is, with no commit link.
    assert (app.revision, app.revision_short, app.revision_url) == ("rev1", "rev1", "")
    assert app.last_sync_at == at("2024-03-05T07:33:04")
    assert app.last_sync_by == "foo@example.com"
    assert app.last_sync_phase == "Succeeded"
    assert app.last_sync_message == "successfully synced (all tasks run)"
    assert app.reconciled_at == at("2024-03-05T07:33:04")
    assert app.images == ["nginx:latest"]
    assert app.issues == []
    assert app.conditions == []
    assert not app.operation_running
    assert not app.resource_health_in_tree


def test_parse_controller_fixture_keeps_ten_history_entries_newest_first(
    velero_app: dict[str, Any],
) -> None:
    history = parse_application(velero_app).history

    assert [h.id for h in history] == list(range(23, 13, -1))
    newest = history[0]
    assert newest.revision == VELERO_SHA
    assert newest.deployed_at == at("2024-03-05T07:33:04")
    assert newest.deploy_started_at == at("2024-03-05T07:33:03")
    assert newest.revision_url == f"https://github.com/foo/manifests-velero/commit/{VELERO_SHA}"
    assert newest.initiated_by == ""  # these entries carry no initiatedBy
    assert history[-1].deployed_at == at("2024-03-04T22:00:06")


def test_parse_rest_api_fixture_without_api_version(roadie_app: dict[str, Any]) -> None:
    app = parse_application(roadie_app)

    assert (app.name, app.namespace, app.project) == ("test-app", "argocd", "default")
    assert app.revision == GUESTBOOK_SHA
    assert app.revision_short == "53e28ff"
    assert app.revision_url == (
        f"https://github.com/argoproj/argocd-example-apps/commit/{GUESTBOOK_SHA}"
    )
    assert app.target_revision == "HEAD"
    assert app.last_sync_by == "iain"
    assert app.last_sync_at == at("2021-08-11T11:38:52")
    assert app.images == ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]
    assert [h.id for h in app.history] == [1, 0]
    assert app.history[0].deployed_at == at("2021-08-11T11:38:52")


def test_parse_out_of_sync_degraded_lists_the_deployment(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: OutOfSync with a Degraded Deployment
    status = derived["status"]
    status["sync"]["status"] = "OutOfSync"
    status["health"] = {"status": "Degraded", "message": "1 of 2 resources degraded"}
    deployment = status["resources"][1]
    deployment["status"] = "OutOfSync"
    deployment["health"] = {"status": "Degraded", "message": "exceeded its progress deadline"}

    app = parse_application(derived)

    assert (app.sync_status, app.health_status) == ("OutOfSync", "Degraded")
    assert app.health_message == "1 of 2 resources degraded"
    assert [i.model_dump() for i in app.issues] == [
        {
            "kind": "Deployment",
            "name": "guestbook-ui",
            "namespace": "default",
            "group": "apps",
            "sync_status": "OutOfSync",
            "health_status": "Degraded",
            "message": "exceeded its progress deadline",
        }
    ]


def test_parse_healthy_but_out_of_sync_resource_is_an_issue(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: the Service drifted, still healthy
    derived["status"]["resources"][0]["status"] = "OutOfSync"

    issues = parse_application(derived).issues

    assert [(i.kind, i.sync_status, i.health_status) for i in issues] == [
        ("Service", "OutOfSync", "Healthy")
    ]


def test_parse_conditions_with_and_without_times(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: conditions present
    derived["status"]["conditions"] = [
        {
            "type": "ComparisonError",
            "message": "rpc error: repository not found",
            "lastTransitionTime": "2021-08-11T13:00:00Z",
        },
        {"type": "OrphanedResourceWarning", "message": "1 orphaned resource"},
        "not a condition",
    ]

    conditions = parse_application(derived).conditions

    assert [(c.type, c.message, c.last_transition) for c in conditions] == [
        ("ComparisonError", "rpc error: repository not found", at("2021-08-11T13:00:00")),
        ("OrphanedResourceWarning", "1 orphaned resource", None),
        ("Unknown", "", None),
    ]


def test_parse_3x_layout_without_resource_health(velero_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(velero_app)  # derived: Argo CD 3.x, health kept in the app tree
    status = derived["status"]
    status["resourceHealthSource"] = "appTree"
    for resource in status["resources"]:
        del resource["health"]
    status["resources"][1]["status"] = "OutOfSync"

    app = parse_application(derived)

    assert app.resource_health_in_tree
    assert app.health_status == "Healthy"  # the app-level health is still on the object
    assert [(i.kind, i.sync_status, i.health_status) for i in app.issues] == [
        ("Deployment", "OutOfSync", "")
    ]


def test_parse_multi_source_shows_the_git_source(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: a Helm chart plus a git values source
    sha = GUESTBOOK_SHA
    sources = [
        {"repoURL": "https://charts.example.com", "chart": "guestbook", "targetRevision": "1.2.0"},
        {"repoURL": "git@github.com:example/gitops.git", "targetRevision": "main", "ref": "values"},
    ]
    derived["spec"].pop("source")
    derived["spec"]["sources"] = sources
    sync = derived["status"]["sync"]
    sync.pop("revision")
    sync["revisions"] = ["1.2.0", sha]
    for entry in derived["status"]["history"]:
        entry.pop("revision")
        entry.pop("source")
        entry["revisions"] = ["1.1.0", "0123abcd" * 5]
        entry["sources"] = sources

    app = parse_application(derived)

    assert app.revisions == ["1.2.0", sha]
    assert (app.revision, app.revision_short) == (sha, "53e28ff")
    assert app.repo_url == "git@github.com:example/gitops.git"
    assert app.revision_url == f"https://github.com/example/gitops/commit/{sha}"
    assert app.history[0].revision == "0123abcd" * 5
    assert app.history[0].revision_url.startswith("https://github.com/example/gitops/commit/")


def test_parse_multi_source_of_charts_only_uses_the_first(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: two Helm charts, no git source
    derived["spec"].pop("source")
    derived["spec"]["sources"] = [
        {"repoURL": "https://charts.example.com", "chart": "a", "targetRevision": "2.0.0"},
        {"repoURL": "https://charts.example.com", "chart": "b", "targetRevision": "3.0.0"},
    ]
    derived["status"]["sync"] = {"status": "Synced", "revisions": ["2.0.0", "3.0.0"]}

    app = parse_application(derived)

    assert (app.revision, app.path, app.target_revision) == ("2.0.0", "a", "2.0.0")
    assert app.revision_url == ""


def test_parse_tag_revision_is_kept_whole(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: a tag instead of a SHA
    derived["status"]["sync"]["revision"] = "v1.4.2"

    app = parse_application(derived)

    assert (app.revision, app.revision_short, app.revision_url) == ("v1.4.2", "v1.4.2", "")


def test_parse_without_status_gives_defaults(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: just created, no status yet
    del derived["status"]

    app = parse_application(derived)

    assert (app.name, app.sync_status, app.health_status) == ("test-app", "Unknown", "Unknown")
    assert (app.revision, app.revision_short, app.last_sync_at) == ("", "", None)
    assert (app.images, app.issues, app.history, app.conditions) == ([], [], [], [])


def test_parse_running_operation_falls_back_to_started_at(velero_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(velero_app)  # derived: a sync under way
    state = derived["status"]["operationState"]
    state["phase"] = "Running"
    del state["finishedAt"]
    state["operation"]["initiatedBy"] = {"automated": True}

    app = parse_application(derived)

    assert app.operation_running
    assert app.last_sync_phase == "Running"
    assert app.last_sync_at == at("2024-03-05T07:33:03")
    assert app.last_sync_by == "automated"


def test_parse_requested_operation_counts_as_running(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: a sync requested, not yet picked up
    derived["operation"] = {"sync": {"revision": "HEAD"}, "initiatedBy": {"username": "ada"}}

    assert parse_application(derived).operation_running


def test_parse_history_initiator_and_order_beyond_ten(velero_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(velero_app)  # derived: 12 entries, shuffled, newer ones by alice
    history = derived["status"]["history"]
    for new_id in (24, 25):
        entry = copy.deepcopy(history[-1])
        entry["id"] = new_id
        entry["deployedAt"] = f"2024-03-06T0{new_id - 20}:00:00Z"
        entry["initiatedBy"] = {"username": "alice"}
        history.append(entry)
    history[0]["initiatedBy"] = {"automated": True}
    random.Random(5).shuffle(history)

    parsed = parse_application(derived).history

    assert [h.id for h in parsed] == list(range(25, 15, -1))
    assert [h.initiated_by for h in parsed[:2]] == ["alice", "alice"]
    assert all(h.initiated_by == "" for h in parsed[2:])  # id 14 (automated) fell off


def test_parse_history_without_ids_orders_by_deploy_time(roadie_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: entries without ids
    for entry in derived["status"]["history"]:
        del entry["id"]

    parsed = parse_application(derived).history

    assert [h.deployed_at for h in parsed] == [at("2021-08-11T11:38:52"), at("2021-03-04T17:39:07")]
    assert [h.id for h in parsed] == [0, 0]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"app": "blog-service", "app.kubernetes.io/name": "blog"}, "blog-service"),
        ({"app.kubernetes.io/name": "portal"}, "portal"),
        ({"team": "platform"}, "test-app"),
    ],
)
def test_parse_app_label_prefers_app_then_name_label(
    roadie_app: dict[str, Any], labels: dict[str, str], expected: str
) -> None:
    derived = copy.deepcopy(roadie_app)  # derived: labelled like the platform's apps
    derived["metadata"]["labels"] = labels

    assert parse_application(derived).app == expected


@pytest.mark.parametrize(
    "odd",
    [
        {},
        {"metadata": None, "spec": "x", "status": ["not", "a", "map"]},
        {
            "metadata": {"name": "odd", "labels": None},
            "status": {
                "sync": {"status": None, "revision": 42},
                "health": "Healthy",
                "history": ["x", {"id": "7", "deployedAt": "not a time"}],
                "resources": ["x", {"kind": "Pod"}],
                "summary": {"images": "nginx"},
                "operationState": {"finishedAt": 12},
                "reconciledAt": "2024-13-45",
            },
        },
    ],
)
def test_parse_odd_fields_never_raise(odd: dict[str, Any]) -> None:
    app = parse_application(odd)

    assert app.sync_status == "Unknown"
    assert app.issues == []
    assert app.reconciled_at is None


def test_parse_naive_yaml_datetime_is_utc(velero_app: dict[str, Any]) -> None:
    derived = copy.deepcopy(velero_app)  # derived: YAML gave an unquoted, naive timestamp
    derived["status"]["reconciledAt"] = datetime(2024, 3, 5, 7, 33, 4)

    assert parse_application(derived).reconciled_at == at("2024-03-05T07:33:04")


@pytest.mark.parametrize(
    ("repo", "revision", "expected"),
    [
        ("https://github.com/o/r.git", "abcdef1", "https://github.com/o/r/commit/abcdef1"),
        ("https://github.com/o/r/", "abcdef1", "https://github.com/o/r/commit/abcdef1"),
        ("git@github.com:o/r.git", "abcdef1", "https://github.com/o/r/commit/abcdef1"),
        ("ssh://git@github.com/o/r.git", "abcdef1", "https://github.com/o/r/commit/abcdef1"),
        ("https://gitlab.com/g/s/r.git", "abcdef1", "https://gitlab.com/g/s/r/-/commit/abcdef1"),
        (
            "https://gitlab.example.org/g/r",
            "abcdef1",
            "https://gitlab.example.org/g/r/-/commit/abcdef1",
        ),
        ("https://github.com/o/r.git", "main", ""),
        ("https://github.com/o/r.git", "abc12", ""),  # too short for a SHA
        ("https://bitbucket.org/o/r.git", "abcdef1", ""),
        ("http://github.com/o/r.git", "abcdef1", ""),
        ("https://github.com/only-owner", "abcdef1", ""),
        ("oci://europe-west1-docker.pkg.dev/foo/charts", "abcdef1", ""),
    ],
)
def test_commit_url_for_known_hosts_and_shas(repo: str, revision: str, expected: str) -> None:
    assert commit_url(repo, revision) == expected


def test_short_revision_only_shortens_shas() -> None:
    assert short_revision(VELERO_SHA) == "ea87599"
    assert short_revision("HEAD") == "HEAD"
    assert short_revision("deadbeefcafe") == "deadbee"
    assert not is_sha("v1.0.0")
    assert not is_sha("ABCDEF1")  # git prints SHAs in lower case
