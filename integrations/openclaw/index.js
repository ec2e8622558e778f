// Warden's OpenClaw plugin: every tool call is decided by the Warden monitor before it runs.
// Registered as a trusted tool policy (runs before other plugins' hooks) when OpenClaw offers it,
// else as a `before_tool_call` hook. See warden.js for the logic and README.md for the setup.

import { createWarden } from "./warden.js";

// Longer than the monitor's approval wait (55 s by default), so a person asked through
// `warden approvals` can answer before OpenClaw gives up (OpenClaw blocks on timeout).
const TOOL_HOOK_TIMEOUT_MS = 120_000;

export function register(api) {
  const warden = createWarden(api.pluginConfig ?? {}, { log: api.logger });
  if (typeof api.registerTrustedToolPolicy === "function") {
    api.registerTrustedToolPolicy({
      id: "warden",
      description: "Warden: every tool call is decided by the Warden monitor; no monitor, no tool call",
      evaluate: (event, ctx) => warden.policy(event, ctx),
    });
  }
  // Also an ordinary hook: OpenClaw drops a trusted policy it refuses with only a diagnostic, and
  // then this hook still gates every call (calls the policy already decided are not asked twice).
  api.on("before_tool_call", (event, ctx) => warden.backstop(event, ctx), {
    priority: 1000,
    timeoutMs: TOOL_HOOK_TIMEOUT_MS,
  });
  // Observations: recorded (tool results and inbound messages are outside content), never a veto.
  const observe = (fn) => async (event, ctx) => {
    await fn(event, ctx);
  };
  api.on("after_tool_call", observe(warden.afterToolCall));
  api.on("message_received", observe(warden.messageReceived));
  api.on("subagent_spawned", observe(warden.subagentSpawned));
  api.on("before_prompt_build", (event, ctx) => warden.beforePromptBuild(event, ctx));
}

export default {
  id: "warden",
  name: "Warden",
  description: "Runtime security: every tool call is decided by the Warden monitor",
  register,
};
