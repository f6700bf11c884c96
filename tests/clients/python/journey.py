"""A learner's journey through the Python client generated from openapi/openapi.json.

`scripts/check-clients.sh` generates the client (openapi-python-client) and checks this file
with `mypy --strict`: every field the API always returns is typed as present, catalog pages
hold `ActivitySummary` items (or, with `view=full`, the same `Activity` type as a single read),
and the CSV operations return text. No casts, no
`assert x is not None` on fields the contract says are always there.
"""

from ce_api_client import AuthenticatedClient, Client
from ce_api_client.api.activities import get_activity, list_activities
from ce_api_client.api.auth import login
from ce_api_client.api.credentials import get_claim_credential, verify_credential
from ce_api_client.api.credit import create_credit_claim, my_transcript, my_transcript_csv
from ce_api_client.api.enrollments import enroll
from ce_api_client.models import (
    Activity,
    ActivitySummary,
    ClaimRequest,
    CreditClaim,
    CreditType,
    EnrollRequest,
    Enrollment,
    IssuedCredential,
    ListActivitiesView,
    LoginRequest,
    PageActivity,
    PageActivitySummary,
    Problem,
    TokenResponse,
    Transcript,
    VerificationRequest,
    VerificationResult,
)


def most_credit(activity: Activity) -> float:
    """The largest credit an activity offers: its designations are always present."""
    return max((designation.max_amount for designation in activity.credit_designations), default=0.0)


def catalog(client: Client | AuthenticatedClient) -> list[ActivitySummary]:
    """The first page of the catalog, anonymous or not (the operation needs no token)."""
    page = list_activities.sync(client=client, limit=10)
    if not isinstance(page, PageActivitySummary):
        raise SystemExit(f"catalog: {page}")
    return page.data


def catalog_documents(client: Client | AuthenticatedClient) -> list[Activity]:
    """The first page of the catalog as whole documents (`view=full`, as an LMS syncs)."""
    page = list_activities.sync(client=client, limit=10, view=ListActivitiesView.FULL)
    if not isinstance(page, PageActivity):
        raise SystemExit(f"catalog documents: {page}")
    return page.data


def journey(base_url: str, email: str, password: str) -> None:
    anonymous = Client(base_url=base_url)
    activities = catalog(anonymous)
    if not activities:
        return
    first = activities[0]
    most = max((credit.max_amount for credit in first.credits_), default=0.0)
    print(first.title, first.format_, first.time_zone, most, first.seats_left, first.version)
    documents = catalog_documents(anonymous)
    print(documents[0].id == first.id, most_credit(documents[0]), len(documents[0].learning_objectives))

    tokens = login.sync(client=anonymous, body=LoginRequest(email=email, password=password))
    if not isinstance(tokens, TokenResponse):
        raise SystemExit(f"login: {tokens}")
    learner = AuthenticatedClient(base_url=base_url, token=tokens.access_token)

    same = get_activity.sync(first.id, client=learner)
    if isinstance(same, Activity):
        print(same.title == first.title, same.updated_at.isoformat())

    enrollment = enroll.sync(first.id, client=learner, body=EnrollRequest())
    if not isinstance(enrollment, Enrollment):
        raise SystemExit(f"enroll: {enrollment}")
    print(enrollment.status, enrollment.created_at.isoformat())

    claim = create_credit_claim.sync(
        client=learner,
        body=ClaimRequest(
            enrollment_id=enrollment.id, credit_type=CreditType.AMA_PRA_1, amount=1.0, attestation=True
        ),
    )
    if isinstance(claim, Problem):
        print(claim.type_, claim.title, claim.status)
    elif isinstance(claim, CreditClaim):
        print(claim.status, claim.amount, claim.verification_url)
        credential = get_claim_credential.sync(claim.id, client=learner)
        if isinstance(credential, IssuedCredential):
            verdict = verify_credential.sync(client=anonymous, body=VerificationRequest(credential=credential.jwt))
            if verdict is not None and not isinstance(verdict, Problem):
                print(verdict.result == VerificationResult.VALID, [check.check for check in verdict.checks])

    transcript = my_transcript.sync(client=learner)
    if isinstance(transcript, Transcript):
        for entry in transcript.entries:
            print(entry.activity_title, entry.credit_type, entry.amount, entry.completion_date.isoformat())
    csv = my_transcript_csv.sync(client=learner)
    if isinstance(csv, str):
        print(csv.splitlines()[0])


if __name__ == "__main__":
    import sys

    journey(sys.argv[1], sys.argv[2], sys.argv[3])
