// Written by convex-scaffold. scripts/convex-deploy.sh calls this query after
// deploying to prove that functions reached the self-hosted backend.
import { query } from "./_generated/server";

export const ping = query({
  args: {},
  handler: async () => "ok",
});
