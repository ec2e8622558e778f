// A scripted fake model for Warden's real-client tests: no network, no model.
//
// Speaks the two wire APIs the clients use:
//   - Anthropic Messages (`POST /v1/messages`, streaming SSE) for Claude Code, plus a minimal
//     `POST /v1/messages/count_tokens` and a JSON answer to any non-streaming call;
//   - OpenAI Responses (`POST /v1/responses`, streaming SSE) for Codex.
//
// The script (JSON file) is a list of shell commands. The answer to a request is stateless: the
// number of tool results already in the conversation picks the next command, and once they are
// all done the model says "done". A request without tools (a title or summary side call) gets a
// short text. Every request body is appended, one JSON line each, to the record file, so a test
// can check what the client sent back to the model (e.g. that a secret never reached it).
//
// Usage: node fake-model.mjs SCRIPT.json RECORD.jsonl PORTFILE
// Listens on 127.0.0.1 on a free port and writes the port to PORTFILE once listening.

import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";

const [scriptPath, recordPath, portFile] = process.argv.slice(2);
if (!scriptPath || !recordPath || !portFile) {
  console.error("usage: fake-model.mjs SCRIPT.json RECORD.jsonl PORTFILE");
  process.exit(2);
}
const script = JSON.parse(readFileSync(scriptPath, "utf8"));

function sse(res, events) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  for (const [event, data] of events) {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  res.end();
}

// ---- Anthropic Messages ----------------------------------------------------------------------

function anthropicToolResults(body) {
  let n = 0;
  for (const m of body.messages ?? []) {
    if (Array.isArray(m.content)) {
      n += m.content.filter((c) => c.type === "tool_result").length;
    }
  }
  return n;
}

function anthropicAnswer(body, res) {
  const id = `msg_fake_${Date.now()}`;
  const model = body.model ?? "fake";
  const usage = { input_tokens: 10, output_tokens: 10 };
  const hasBash = (body.tools ?? []).some((t) => t.name === "Bash");
  const done = anthropicToolResults(body);
  const next = hasBash && done < script.length ? script[done] : null;
  const block = next
    ? { type: "tool_use", id: `toolu_fake_${done}`, name: "Bash", input: {} }
    : { type: "text", text: "" };
  const delta = next
    ? { type: "input_json_delta", partial_json: JSON.stringify({ command: next, description: "scripted" }) }
    : { type: "text_delta", text: hasBash ? "done" : "ok" };
  if (!body.stream) {
    const content = next
      ? [{ ...block, input: { command: next, description: "scripted" } }]
      : [{ type: "text", text: delta.text }];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id, type: "message", role: "assistant", model, content,
      stop_reason: next ? "tool_use" : "end_turn", stop_sequence: null, usage,
    }));
    return;
  }
  sse(res, [
    ["message_start", { type: "message_start", message: {
      id, type: "message", role: "assistant", model, content: [],
      stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 },
    } }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: block }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta",
      delta: { stop_reason: next ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: 10 } }],
    ["message_stop", { type: "message_stop" }],
  ]);
}

// ---- OpenAI Responses ------------------------------------------------------------------------

function responsesToolResults(body) {
  const input = Array.isArray(body.input) ? body.input : [];
  return input.filter((i) => i.type === "function_call_output" || i.type === "custom_tool_call_output").length;
}

// The arguments of the client's shell tool, whichever of its known shapes it offers.
function shellCall(body, cmd) {
  const names = (body.tools ?? []).map((t) => t.name ?? t.function?.name);
  if (names.includes("exec_command")) return ["exec_command", { cmd }];
  if (names.includes("shell_command")) return ["shell_command", { command: cmd }];
  if (names.includes("shell")) return ["shell", { command: ["bash", "-lc", cmd] }];
  return null;
}

function responsesAnswer(body, res) {
  const id = `resp_fake_${Date.now()}`;
  const done = responsesToolResults(body);
  const call = done < script.length ? shellCall(body, script[done]) : null;
  const item = call
    ? { type: "function_call", id: `fc_fake_${done}`, call_id: `call_fake_${done}`,
        name: call[0], arguments: JSON.stringify(call[1]), status: "completed" }
    : { type: "message", id: `msg_fake_${done}`, role: "assistant", status: "completed",
        content: [{ type: "output_text", text: "done", annotations: [] }] };
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000),
    model: body.model ?? "fake", status: "in_progress", output: [] };
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 },
    output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 20 };
  sse(res, [
    ["response.created", { type: "response.created", response: base }],
    ["response.output_item.added", { type: "response.output_item.added", output_index: 0, item }],
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    ["response.completed", { type: "response.completed",
      response: { ...base, status: "completed", output: [item], usage } }],
  ]);
}

// ---- server ----------------------------------------------------------------------------------

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (c) => { raw += c; });
  req.on("end", () => {
    appendFileSync(recordPath, JSON.stringify({ method: req.method, url: req.url, body: raw }) + "\n");
    let body = {};
    try { body = raw ? JSON.parse(raw) : {}; } catch { body = {}; }
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "POST" && path.endsWith("/messages/count_tokens")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ input_tokens: 10 }));
    } else if (req.method === "POST" && path.endsWith("/messages")) {
      anthropicAnswer(body, res);
    } else if (req.method === "POST" && path.endsWith("/responses")) {
      responsesAnswer(body, res);
    } else if (req.method === "GET" && path.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [], models: [] }));
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { type: "not_found", message: `fake model: no ${path}` } }));
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  writeFileSync(portFile, String(server.address().port));
});
