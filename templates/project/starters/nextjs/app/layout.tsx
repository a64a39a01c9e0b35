// Written by convex-scaffold: the App Router's root layout.
import type { ReactNode } from "react";
import ConvexClientProvider from "./ConvexClientProvider";

export const metadata = {
  title: "Convex app",
  icons: { icon: "data:," },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <ConvexClientProvider>{children}</ConvexClientProvider>
      </body>
    </html>
  );
}
