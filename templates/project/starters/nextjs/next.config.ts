// Written by convex-scaffold. `next dev` listens on every interface on port
// 3000 (package.json), the port the devcontainer forwards and the Coder
// "Frontend" app opens. In a Coder workspace the template sets
// CONVEX_SCAFFOLD_FRONTEND_HOST (the app's subdomain host name); the dev
// server must allow it, or it blocks its own HMR and dev assets there.
import type { NextConfig } from "next";

const proxyHost = process.env.CONVEX_SCAFFOLD_FRONTEND_HOST;

const nextConfig: NextConfig = {
  allowedDevOrigins: proxyHost ? [proxyHost] : [],
};

export default nextConfig;
