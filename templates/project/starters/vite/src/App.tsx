// Written by convex-scaffold: shows what convex/health.ts answers, live.
import { useQuery } from "convex/react";
import { api } from "./convexApi";

export default function App() {
  const ping = useQuery(api.health.ping);
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", padding: "2rem" }}>
      <h1>Self-hosted Convex</h1>
      <p>
        health:ping says:{" "}
        <strong data-testid="health-ping">
          {ping === undefined ? "(waiting for the backend)" : ping}
        </strong>
      </p>
      <p>
        Backend: <code>{import.meta.env.VITE_CONVEX_URL}</code>
      </p>
    </main>
  );
}
