//! Agent hook events by name: which ones Warden knows, and which carry no action. Shared by the
//! adapters (which lower them) and the slim hook client (which must tell, with the monitor down,
//! whether an event may pass), so that both read the same table.

/// Every hook event Warden knows by name.
pub const KNOWN_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "Notification",
    "PreCompact",
    "ConfigChange",
];

/// Events that carry no action: with the monitor unreachable, a hook records them for later and
/// lets the agent go on (a typed prompt is not a risk; blocking it would brick the agent). Every
/// other event, any event with a tool, and any unknown event still blocks.
pub const NO_ACTION_EVENTS: &[&str] = &[
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "Notification",
    "PreCompact",
];

/// Whether an event (by its raw name, and whether its payload names a tool) carries an action
/// Warden must decide before it happens.
pub fn carries_action(name: &str, has_tool: bool) -> bool {
    let t = name.trim();
    has_tool || !NO_ACTION_EVENTS.iter().any(|k| k.eq_ignore_ascii_case(t))
}

/// The event's canonical name: known names whatever their case or spacing; an unknown event
/// that carries a tool call is gated like `PreToolUse`, because letting it pass would be a
/// silent allow.
pub fn canonical_event(name: &str, has_tool: bool) -> String {
    let t = name.trim();
    match KNOWN_EVENTS.iter().find(|k| k.eq_ignore_ascii_case(t)) {
        Some(k) => (*k).to_string(),
        None if has_tool => "PreToolUse".to_string(),
        None => t.to_string(),
    }
}
