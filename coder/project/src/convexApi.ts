// Written by convex-scaffold: references to the functions in convex/ that
// type-check before the first deploy. After `scripts/convex-deploy.sh` (or
// `convex dev`) has generated convex/_generated/, you can import
// `api` from "../convex/_generated/api" instead.
import { makeFunctionReference } from "convex/server";

export const api = {
  health: {
    ping: makeFunctionReference<"query", Record<string, never>, string>(
      "health:ping",
    ),
  },
};
