// Loads the built starter app in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core) and proves that it opens the Convex sync websocket
// to exactly the configured URL, with no console error but the stand-in's.
//
//   node browser.mjs APP_URL CONVEX_URL SCREENSHOT USER_DATA_DIR [EXPECTED_PING]
//
// Prints one line per finding and a JSON summary; exits 1 on any failure.
import { chromium } from "playwright-core";

const [appUrl, convexUrl, screenshot, userDataDir, expectedPing] =
  process.argv.slice(2);
if (!appUrl || !convexUrl || !screenshot || !userDataDir) {
  console.error(
    "usage: node browser.mjs APP_URL CONVEX_URL SCREENSHOT USER_DATA_DIR [EXPECTED_PING]",
  );
  process.exit(2);
}

// The client turns http(s)://host into ws(s)://host/api/<version>/sync.
const expectedOrigin = new URL(convexUrl);
expectedOrigin.protocol = expectedOrigin.protocol === "https:" ? "wss:" : "ws:";
const syncPath = /^\/api\/[0-9][0-9A-Za-z.+-]*\/sync$/;

const failures = [];
const sockets = [];
const consoleErrors = [];

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
  ],
  viewport: { width: 1000, height: 600 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("websocket", (ws) => sockets.push(ws.url()));
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(`uncaught: ${err.message}`));

  const response = await page.goto(appUrl, { waitUntil: "load", timeout: 30000 });
  if (!response || !response.ok()) {
    failures.push(`the app did not load: ${response ? response.status() : "no response"}`);
  }
  // Wait (bounded) for the client to open its websocket.
  const deadline = Date.now() + 20000;
  while (sockets.length === 0 && Date.now() < deadline) {
    await page.waitForTimeout(200);
  }
  let shown = null;
  if (expectedPing !== undefined && expectedPing !== "") {
    try {
      await page
        .getByTestId("health-ping")
        .filter({ hasText: expectedPing })
        .waitFor({ timeout: 20000 });
    } catch {
      // reported below with what the page shows
    }
  } else {
    await page.waitForTimeout(1500);
  }
  shown = (await page.getByTestId("health-ping").textContent({ timeout: 5000 }).catch(() => null));
  await page.screenshot({ path: screenshot, fullPage: true });

  if (sockets.length === 0) {
    failures.push("the page opened no websocket");
  }
  for (const url of sockets) {
    const u = new URL(url);
    if (u.protocol !== expectedOrigin.protocol || u.host !== expectedOrigin.host) {
      failures.push(`websocket to ${url}, not to the configured ${convexUrl}`);
    } else if (!syncPath.test(u.pathname)) {
      failures.push(`websocket to ${url}: path is not /api/<version>/sync`);
    }
  }
  // The stand-in's own errors name its address; anything else is the app's.
  // A stand-in that answers queries (EXPECTED_PING given) must cause none.
  const answering = expectedPing !== undefined && expectedPing !== "";
  const foreign = consoleErrors.filter(
    (text) => answering || !text.includes(expectedOrigin.host),
  );
  for (const text of foreign) failures.push(`console error: ${text}`);
  if (shown === null) failures.push("the page shows no health:ping element");
  if (expectedPing !== undefined && expectedPing !== "" && shown !== expectedPing) {
    failures.push(`health:ping shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expectedPing)}`);
  }
  console.log(
    JSON.stringify({ appUrl, convexUrl, sockets, consoleErrors, healthPing: shown, failures }, null, 2),
  );
} finally {
  await context.close();
}
process.exit(failures.length === 0 ? 0 : 1);
