"use client";
// Written by convex-scaffold: the Convex client for every client component.
// The URL comes from NEXT_PUBLIC_CONVEX_URL (.env.local, or the workspace's
// environment in Coder), inlined at build time.
import type { ReactNode } from "react";
import { ConvexProvider, ConvexReactClient } from "convex/react";

const url = process.env.NEXT_PUBLIC_CONVEX_URL;
if (!url) {
  throw new Error(
    "NEXT_PUBLIC_CONVEX_URL is not set: run scripts/convex-up.sh, or set it in .env.local",
  );
}
const convex = new ConvexReactClient(url);

export default function ConvexClientProvider({
  children,
}: {
  children: ReactNode;
}) {
  return <ConvexProvider client={convex}>{children}</ConvexProvider>;
}
