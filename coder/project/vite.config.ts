// Written by convex-scaffold. The dev server listens on every interface on
// port 5173, the port the devcontainer forwards and the Coder "Frontend" app
// opens. In a Coder workspace the template sets CONVEX_SCAFFOLD_FRONTEND_HOST
// (the app's subdomain host name) and CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT
// (the port the browser reaches it on, e.g. 443): Vite must accept that host
// name, and its HMR websocket must connect to the proxy's port instead of
// 5173 (Coder docs, "Vite and HMR": server.hmr.clientPort).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const proxyHost = process.env.CONVEX_SCAFFOLD_FRONTEND_HOST || undefined;
const proxyPort =
  Number(process.env.CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT) || undefined;

export default defineConfig({
  plugins: [react()],
  server: {
    host: "0.0.0.0",
    port: 5173,
    strictPort: true,
    allowedHosts: proxyHost ? [proxyHost] : [],
    hmr: proxyHost ? { clientPort: proxyPort ?? 443 } : undefined,
    // Vite 8's own list (setting it replaces the defaults), plus the Convex
    // Auth keys that scripts/convex-auth.sh keeps in .convex-auth/.
    fs: {
      deny: [
        ".env",
        ".env.*",
        "*.{crt,pem,key,p12,pfx,cer,der}",
        ".npmrc",
        ".yarnrc.yml",
        "**/.git/**",
        "**/.convex-auth/**",
      ],
    },
  },
  preview: {
    host: "0.0.0.0",
    port: 5173,
    strictPort: true,
    allowedHosts: proxyHost ? [proxyHost] : [],
  },
});
