// A learner's journey through TypeScript types generated from openapi/openapi.json
// (openapi-typescript) and openapi-fetch. `scripts/check-clients.sh` compiles it with
// `tsc --strict --noEmit`: fields the API always returns are read without `!` or `?? []`.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Activity = components["schemas"]["Activity"];
type ActivitySummary = components["schemas"]["ActivitySummary"];

/// A catalog page holds summaries unless `view=full` asked for documents; items tell which.
function isDocument(item: Activity | ActivitySummary): item is Activity {
  return "credit_designations" in item;
}

function mostCredit(activity: Activity): number {
  return Math.max(0, ...activity.credit_designations.map((designation) => designation.max_amount));
}

export async function journey(baseUrl: string, email: string, password: string): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl });
  const catalog = await anonymous.GET("/v1/activities", { params: { query: { limit: 10 } } });
  if (!catalog.data) throw new Error(`catalog: ${JSON.stringify(catalog.error)}`);
  const first: Activity | ActivitySummary | undefined = catalog.data.data[0];
  if (!first) return;
  if (!isDocument(first)) {
    const most = Math.max(0, ...first.credits.map((credit) => credit.max_amount));
    console.log(first.title, first.format, first.time_zone, most, first.seats_left, first.version, catalog.data.next_cursor);
  }
  const documents = await anonymous.GET("/v1/activities", { params: { query: { limit: 10, view: "full" } } });
  if (!documents.data) throw new Error(`catalog documents: ${JSON.stringify(documents.error)}`);
  const document = documents.data.data[0];
  if (document && isDocument(document)) console.log(document.id === first.id, mostCredit(document));

  const login = await anonymous.POST("/v1/auth/login", { body: { email, password } });
  if (!login.data) throw new Error(`login: ${login.error.title}`);
  const learner = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${login.data.access_token}` } });

  const enrolled = await learner.POST("/v1/activities/{activity_id}/enrollments", {
    params: { path: { activity_id: first.id } },
    body: {},
  });
  if (!enrolled.data) throw new Error(`enroll: ${enrolled.error.type}`);
  console.log(enrolled.data.status, enrolled.data.created_at);

  const claim = await learner.POST("/v1/credit-claims", {
    body: { enrollment_id: enrolled.data.id, credit_type: "ama_pra_1", amount: 1, attestation: true },
  });
  if (claim.data) {
    console.log(claim.data.status, claim.data.amount, claim.data.verification_url);
    const credential = await learner.GET("/v1/credit-claims/{claim_id}/credential", {
      params: { path: { claim_id: claim.data.id } },
    });
    if (credential.data) {
      const verdict = await anonymous.POST("/v1/credential-verifications", { body: { credential: credential.data.jwt } });
      if (verdict.data) console.log(verdict.data.result, verdict.data.checks.map((check) => check.check));
    }
  } else {
    console.log(claim.error.type, claim.error.title, claim.error.status);
  }

  const transcript = await learner.GET("/v1/me/transcript");
  if (transcript.data) {
    for (const entry of transcript.data.entries) console.log(entry.activity_title, entry.credit_type, entry.amount);
  }
  const csv = await learner.GET("/v1/me/transcript.csv", { parseAs: "text" });
  if (csv.data !== undefined) console.log(csv.data.split("\n")[0]);
}
