// Warden's OpenClaw plugin, the logic: talk to the Warden monitor (`warden serve`) over its Unix
// socket, one JSON line per request, and turn its answers into OpenClaw hook results.
//
// Fail closed: a tool call is blocked when the monitor is unreachable, answers an error, answers
// something that is not an answer, answers too late, or when anything in here throws.
// Observation hooks (tool results, inbound messages) never block: they are recorded when the
// monitor is there and dropped with a log line when it is not.

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";

export const AGENT = "openclaw";
const DEFAULT_TIMEOUT_MS = 10_000;
// One line at most this long (the monitor's own limit is larger; an answer is a few kB).
const MAX_LINE = 4 * 1024 * 1024;

export const CLIENT_CONFIG = "/etc/warden/client.json";

/** Whether `p` and every directory above it are root's and writable by nobody else. */
function rootOwned(p) {
  for (let cur = p; ; cur = path.dirname(cur)) {
    let st;
    try {
      st = fs.statSync(cur);
    } catch {
      return false;
    }
    const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
    if (st.uid !== 0 || ((st.mode & 0o022) !== 0 && !sticky)) return false;
    if (cur === path.dirname(cur)) return true;
  }
}

/**
 * The protected deployment's socket, from the root-owned client config (`sudo warden install`),
 * or `undefined`. Trusted only when the file and every directory above it are root's.
 */
export function protectedSocket(file = CLIENT_CONFIG) {
  if (!rootOwned(file)) return undefined;
  try {
    const cfg = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof cfg.socket === "string" && path.isAbsolute(cfg.socket) ? cfg.socket : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The monitor's socket: the protected deployment's (which nothing the agent can edit overrides),
 * else the plugin config's, `$WARDEN_SOCKET`, or the default state directory's.
 */
export function socketPath(config = {}, env = process.env, clientConfig = CLIENT_CONFIG) {
  const locked = protectedSocket(clientConfig);
  if (locked) return locked;
  if (config.socket) return config.socket;
  if (env.WARDEN_SOCKET) return env.WARDEN_SOCKET;
  const state =
    env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
      ? env.XDG_STATE_HOME
      : path.join(env.HOME || os.homedir() || "/", ".local", "state");
  return path.join(state, "warden", "warden.sock");
}

const SECRET_WORDS = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE", "SESSION"];

/** Whether an environment variable's name suggests a credential (such are never sent). */
export function looksSecret(name) {
  const n = name.toUpperCase();
  return SECRET_WORDS.some((w) => n.includes(w));
}

/** The client environment the monitor resolves paths in: home, non-secret variables, workspace. */
export function clientEnv(env = process.env, workspace) {
  const vars = {};
  for (const [k, v] of Object.entries(env)) {
    if (typeof v === "string" && !looksSecret(k)) vars[k] = v;
  }
  const out = { home: env.HOME || os.homedir() || "/", vars };
  if (workspace && path.isAbsolute(workspace)) out.workspace = workspace;
  return out;
}

/**
 * Send one request and wait for the final response (`answer`, `ok` or `error`). A `pending`
 * response (a person is being asked) extends the deadline by the monitor's wait. Rejects on
 * any failure; the caller decides what failure means (for a tool call: block).
 */
export function callMonitor(socket, request, { timeoutMs = DEFAULT_TIMEOUT_MS, onPending } = {}) {
  return new Promise((resolve, reject) => {
    let buf = "";
    let done = false;
    let timer;
    const conn = net.createConnection(socket);
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Error(`the Warden monitor did not answer within ${ms} ms`)), ms);
    };
    arm(timeoutMs);
    conn.on("connect", () => conn.write(JSON.stringify(request) + "\n"));
    conn.on("error", (e) => finish(new Error(`the Warden monitor is not reachable at \`${socket}\`: ${e.message}`)));
    conn.on("close", () => finish(new Error("the Warden monitor closed the connection without answering")));
    conn.setEncoding("utf8");
    conn.on("data", (chunk) => {
      buf += chunk;
      if (buf.length > MAX_LINE) return finish(new Error("the Warden monitor's answer is too long"));
      let nl;
      while (!done && (nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let resp;
        try {
          resp = JSON.parse(line);
        } catch {
          return finish(new Error(`the Warden monitor answered something that is not JSON: ${line.slice(0, 200)}`));
        }
        if (resp && resp.type === "pending") {
          if (onPending) onPending(resp.approval, resp.wait_ms);
          arm(Number(resp.wait_ms || 0) + timeoutMs);
          continue;
        }
        if (resp && resp.type === "answer" && request.nonce && resp.nonce !== request.nonce) {
          return finish(new Error("the answer does not echo this request's nonce: a replayed or forged answer"));
        }
        if (resp && ["answer", "ok", "error"].includes(resp.type)) return finish(null, resp);
        return finish(new Error(`the Warden monitor answered something that is not a response: ${line.slice(0, 200)}`));
      }
    });
  });
}

/** The `hook` request for an OpenClaw event. */
export function hookRequest(payload, env = process.env) {
  return {
    op: "hook",
    agent: AGENT,
    payload,
    env: clientEnv(env, payload.cwd),
    nonce: randomBytes(16).toString("hex"),
  };
}

/** The envelope the monitor reads for an OpenClaw event (see warden-adapters `openclaw.rs`). */
export function envelope(name, event = {}, ctx = {}, cwd = process.cwd()) {
  const out = { event: name };
  for (const k of [
    "toolName", "params", "toolCallId", "runId", "derivedPaths", "toolKind", "toolInputKind",
    "result", "error", "durationMs",
    "from", "content", "messageId", "senderId", "threadId",
    "childSessionKey", "label", "mode",
  ]) {
    if (event[k] !== undefined) out[k] = event[k];
  }
  out.sessionKey = ctx.sessionKey ?? event.sessionKey ?? event.requesterSessionKey ?? null;
  if (ctx.sessionId) out.sessionId = ctx.sessionId;
  const agentId = event.agentId ?? ctx.agentId;
  if (agentId) out.agentId = agentId;
  if (ctx.channelId) out.channelId = ctx.channelId;
  if (name === "subagent_spawned") {
    out.requesterSessionKey = ctx.requesterSessionKey ?? ctx.sessionKey ?? event.requesterSessionKey ?? null;
  }
  out.cwd = ctx.workspaceDir || cwd;
  return out;
}

function block(reason) {
  return { block: true, blockReason: reason };
}

const FAIL_CLOSED =
  " (Warden blocks every tool call it cannot decide; start the monitor with `warden serve`, or check `warden doctor`)";

/** Whether an ask can go to OpenClaw's own approvals in this run. */
export function canAsk(config = {}, ctx = {}) {
  switch (config.approvals ?? "auto") {
    case "openclaw":
      return true;
    case "warden":
      return false;
    default:
      // A run started by someone on a channel has someone to answer `/approve`; a headless run
      // (`openclaw agent --local`, cron) has nobody.
      return Boolean(ctx.requester && ctx.requester.channel);
  }
}

/**
 * The OpenClaw result for the monitor's response to a `before_tool_call`.
 * `report(decision)` is told how a person answered an OpenClaw approval.
 */
export function toolResult(resp, { ask = false, report, tool = "tool" } = {}) {
  if (!resp || typeof resp !== "object") return block("Warden: no answer from the monitor" + FAIL_CLOSED);
  if (resp.type === "error") return block(`Warden: ${resp.message}` + FAIL_CLOSED);
  if (resp.type !== "answer") return block("Warden: the monitor's answer is not a decision" + FAIL_CLOSED);
  if (!resp.gated) return undefined;
  const message = resp.message || "Warden's policy";
  const approval = (params) => ({
    ...(params ? { params } : {}),
    requireApproval: {
      title: `Warden: approve ${tool}?`,
      description: message,
      severity: resp.policy_decision === "deny" ? "critical" : "warning",
      allowedDecisions: ["allow-once", "deny"],
      onResolution: (decision) => (report ? report(decision) : undefined),
    },
  });
  switch (resp.decision) {
    case "allow":
      return undefined;
    case "deny":
      return block(message);
    case "modify":
      if (!resp.updated_input) return undefined;
      return ask
        ? approval(resp.updated_input)
        : block(`${message} (Warden would rewrite this input, and this run cannot show the rewrite for approval; retry without the flagged content)`);
    case "ask":
      return ask
        ? approval()
        : block(`${message} (this needs a person's approval, and this run cannot show OpenClaw approvals; a person can approve it with \`warden approvals\` while the monitor holds it, or run it themselves)`);
    default:
      return block(`Warden: unknown decision \`${resp.decision}\`` + FAIL_CLOSED);
  }
}

/** Run `warden guide` once; resolves to its text or "" on failure. */
export function runGuide(bin = "warden") {
  return new Promise((resolve) => {
    execFile(bin, ["guide"], { timeout: 5000, maxBuffer: 1024 * 1024 }, (err, stdout) =>
      resolve(err ? "" : String(stdout).trim()),
    );
  });
}

/**
 * The plugin's handlers, independent of OpenClaw's API so they can be tested alone.
 * `deps.call(request)` sends a request (default: the socket); `deps.guide()` is the fallback guide.
 */
export function createWarden(config = {}, deps = {}) {
  const env = deps.env ?? process.env;
  const socket = socketPath(config, env, deps.clientConfig);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = deps.log ?? { warn: () => {}, info: () => {} };
  const call = deps.call ?? ((req) => callMonitor(socket, req, { timeoutMs }));
  const cwd = deps.cwd ?? process.cwd();
  let guide;

  const send = (name, event, ctx) => call(hookRequest(envelope(name, event, ctx, cwd), env));
  const observe = async (name, event, ctx) => {
    try {
      const resp = await send(name, event, ctx);
      if (resp?.type === "error") log.warn(`warden: ${name} not recorded: ${resp.message}`);
      return resp;
    } catch (e) {
      log.warn(`warden: ${name} not recorded: ${e.message}`);
      return undefined;
    }
  };

  // Calls the trusted tool policy decided, so the `before_tool_call` backstop does not ask again.
  const decided = new Set();
  const callKey = (event, ctx) => (event.toolCallId ? `${ctx.runId ?? event.runId ?? ""}\u0000${event.toolCallId}` : null);

  return {
    socket,
    /**
     * The `before_tool_call` backstop: OpenClaw drops a trusted tool policy it will not register
     * (the plugin not explicitly enabled, say) with only a diagnostic, which would leave every
     * tool ungated. The hook runs after the trusted tier; a call that tier already decided (and
     * let through, or it would not reach here) is not asked again.
     */
    async backstop(event, ctx = {}) {
      const key = callKey(event, ctx);
      if (key && decided.has(key)) {
        decided.delete(key);
        return undefined;
      }
      return this.beforeToolCall(event, ctx);
    },
    /** The trusted tool policy: decide, and remember the call for the backstop. */
    async policy(event, ctx = {}) {
      const key = callKey(event, ctx);
      if (key) {
        if (decided.size >= 4096) decided.delete(decided.values().next().value);
        decided.add(key);
      }
      return this.beforeToolCall(event, ctx);
    },
    async beforeToolCall(event, ctx = {}) {
      try {
        const resp = await send("before_tool_call", event, ctx);
        const report = (decision) =>
          observe("approval_resolved", { toolCallId: event.toolCallId, result: { tool: event.toolName, decision } }, ctx);
        return toolResult(resp, { ask: canAsk(config, ctx), report, tool: event.toolName });
      } catch (e) {
        return block(`Warden: ${e.message}` + FAIL_CLOSED);
      }
    },
    afterToolCall: (event, ctx) => observe("after_tool_call", event, ctx),
    messageReceived: (event, ctx) => observe("message_received", event, ctx),
    subagentSpawned: (event, ctx) => observe("subagent_spawned", event, ctx),
    async beforePromptBuild(event, ctx) {
      if (guide === undefined) {
        const resp = await observe("before_prompt_build", {}, ctx);
        const fromMonitor = resp?.type === "answer" && typeof resp.context === "string" ? resp.context : "";
        const text = fromMonitor || (await (deps.guide ?? (() => runGuide(config.wardenBin)))());
        if (!text) return undefined;
        guide = text;
      }
      return { prependSystemContext: guide };
    },
  };
}
