"""The local production stack for tests: the BigQuery and GCS emulators (their own virtualenv,
`make emulators-install`) and, for the parity test, the Pub/Sub and Firestore emulators.

Tests marked `prod_stack` skip with the reason when the emulator virtualenv (or gcloud) is missing
here, and fail in CI (CI=true), where `.ci/run` installs it.
"""

from __future__ import annotations

import os
import uuid

import pytest

from nba_pipeline.orchestration import stack

IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(kinds: tuple[str, ...]) -> None:
    reasons = [f"{k}: {r}" for k in kinds if (r := stack.unavailable_reason(k))]
    if reasons:
        if IN_CI:
            pytest.fail(f"the production-stack tests must run in CI: {'; '.join(reasons)}")
        pytest.skip("; ".join(reasons))


@pytest.fixture(scope="session")
def bigquery_host(tmp_path_factory) -> str:
    """BIGQUERY_EMULATOR_HOST of a BigQuery emulator shared by the session."""
    _require((stack.BIGQUERY,))
    with stack.running((stack.BIGQUERY,), tmp_path_factory.mktemp("bigquery")) as services:
        yield services[stack.BIGQUERY].env["BIGQUERY_EMULATOR_HOST"]


@pytest.fixture(scope="session")
def gcp_stack(tmp_path_factory) -> dict[str, str]:
    """BigQuery, GCS, Pub/Sub and Firestore emulators: the variables of their clients."""
    kinds = (stack.BIGQUERY, stack.STORAGE, "pubsub", "firestore")
    _require(kinds)
    with stack.running(kinds, tmp_path_factory.mktemp("gcp")) as services:
        yield stack.client_env(list(services.values()))


@pytest.fixture
def dataset() -> str:
    """A dataset of the test's own, so tests never see each other's tables."""
    return f"nba_test_{uuid.uuid4().hex[:8]}"
