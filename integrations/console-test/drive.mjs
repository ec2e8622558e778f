// Drives Warden's web console in a real Chromium (Debian's, through playwright-core) against a
// real `warden serve` started by crates/app/warden-cli/tests/suite/console.rs, which also raises
// the approvals this script answers. Environment: CONSOLE_URL (http://127.0.0.1:PORT),
// CONSOLE_TOKEN, SHOTS (screenshot directory), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON line describing what it did; exits non-zero on any failure.
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const { CONSOLE_URL, CONSOLE_TOKEN, SHOTS } = process.env;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
if (!CONSOLE_URL || !CONSOLE_TOKEN || !SHOTS) {
  console.error("set CONSOLE_URL, CONSOLE_TOKEN and SHOTS");
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

const done = [];
const problems = [];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  // A CSP violation or a script error means the page does not work as shipped.
  // (The one expected error is the 401 answering the wrong token below.)
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("status of 401")) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  const shot = async (name) => {
    await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
    done.push(`screenshot ${name}`);
  };
  const notice = (text) => page.locator("p.notice[role=status]", { hasText: text }).waitFor();

  // A wrong token is refused, the right one logs in (keyboard only: type, Enter).
  await page.goto(`${CONSOLE_URL}/console/login`);
  await shot("login");
  await page.getByLabel("API token").fill("not-the-token");
  await page.getByLabel("API token").press("Enter");
  await page.getByRole("alert").filter({ hasText: "Wrong token" }).waitFor();
  done.push("wrong token refused");
  await page.getByLabel("API token").fill(CONSOLE_TOKEN);
  await page.getByLabel("API token").press("Enter");
  await page.waitForURL("**/console/approvals");
  done.push("logged in");

  // Approve the first ask once.
  const approve = page.locator("article.approval", { hasText: "s-approve" });
  await approve.getByRole("button", { name: "Approve once" }).waitFor();
  await approve.getByText("Deploy the release").first().waitFor();
  await shot("approvals");
  await approve.getByRole("button", { name: "Approve once" }).click();
  await notice("approved (once)");
  done.push("approved s-approve");

  // Deny the second with a note for the agent.
  const deny = page.locator("article.approval", { hasText: "s-deny" });
  await deny.getByLabel("Note for the agent").fill("use the staging deploy script instead");
  await deny.getByRole("button", { name: "Deny" }).click();
  await notice("denied");
  await page.getByText("No approval is waiting.").waitFor();
  await shot("approvals-answered");
  done.push("denied s-deny");

  // Halt one session from the live feed.
  await page.getByRole("link", { name: "Live feed" }).click();
  await page.getByRole("button", { name: "Halt session s-halt" }).click();
  await notice("Halted s-halt");
  await page.getByRole("button", { name: "Resume session s-halt" }).waitFor();
  await shot("feed");
  done.push("halted s-halt");

  // The audit log shows who answered, and the chain verifies.
  await page.getByRole("link", { name: "Audit" }).click();
  await page.getByLabel("Text").fill("console:");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("chain verified").waitFor();
  await page.locator("td", { hasText: "by: console:127.0.0.1" }).first().waitFor();
  await shot("audit");
  done.push("audit shows console answers");

  await page.getByRole("link", { name: "Baselines" }).click();
  await page.getByRole("heading", { name: "Baselines" }).waitFor();
  await shot("baselines");
  await page.getByRole("link", { name: "Policy" }).click();
  await page.getByText(/\d+ passed, 0 failed/).waitFor();
  await page.getByRole("cell", { name: "test.deploy-asks" }).waitFor();
  await shot("policy");
  done.push("policy and rule tests shown");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL("**/console/login");
  await page.goto(`${CONSOLE_URL}/console/approvals`);
  await page.waitForURL("**/console/login");
  done.push("logged out");

  // The link `warden console` prints logs in by itself and leaves no token in the address bar.
  if (process.env.CONSOLE_LINK) {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(process.env.CONSOLE_LINK);
    await tab.waitForURL("**/console/approvals");
    if (tab.url().includes("token")) throw new Error(`token left in ${tab.url()}`);
    done.push("logged in with the printed link");
  }
} catch (e) {
  problems.push(String(e && e.stack ? e.stack : e));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ done, problems }));
process.exit(problems.length === 0 ? 0 : 1);
