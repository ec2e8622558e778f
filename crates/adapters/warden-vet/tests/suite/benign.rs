//! Legitimate definitions a user would hate to see flagged: servers in the style of the
//! reference MCP servers (filesystem, git, fetch, memory, GitHub) and ordinary tool guidance.
//! None may produce a high or critical finding; most produce nothing at all.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use warden_vet::{vet_list, ListMethod, Severity, VetContext};

use super::support::{checked, summary, tool, tools, vet_tools, worst};

fn filesystem() -> Value {
    let mut edit = tool(
        "edit_file",
        "Make line-based edits to a text file. Each edit replaces an exact sequence of \
                 lines with new content and the tool returns a git-style diff of the changes. \
                 Only works within allowed directories.",
        &[("path", "File to edit")],
    );
    edit["inputSchema"]["properties"]["edits"] = json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "oldText": {"type": "string", "description": "Text to search for - must match exactly"},
                "newText": {"type": "string", "description": "Text to replace it with"}
            },
            "required": ["oldText", "newText"],
            "additionalProperties": false
        }
    });
    edit["inputSchema"]["properties"]["dryRun"] = json!({
        "type": "boolean", "default": false,
        "description": "Preview changes using git-style diff format"
    });
    tools(json!([
        tool(
            "read_file",
            "Read the complete contents of a file from the file system. Copes with several \
             text encodings and gives a detailed error message when the file cannot be read. \
             Use this tool when you need to look at the contents of one file. Only works \
             within allowed directories.",
            &[("path", "Path of the file to read")],
        ),
        tool(
            "write_file",
            "Create a new file or overwrite an existing one with new content. Use with care: \
             an existing file is replaced without warning. Only works within allowed \
             directories.",
            &[
                ("path", "Where to write"),
                ("content", "The contents of the file to write")
            ],
        ),
        edit,
        tool(
            "list_directory",
            "Get a detailed listing of all files and directories in a path. Entries are \
             marked [FILE] or [DIR] to tell them apart. Only works within allowed directories.",
            &[("path", "Directory to list")],
        ),
        tool(
            "search_files",
            "Recursively search for files and directories matching a pattern, starting from \
             a path. The search is case-insensitive and matches partial names. Good for \
             finding files when you don't know where they are. Only searches within allowed \
             directories.",
            &[
                ("path", "Where to start"),
                ("pattern", "Part of a file name")
            ],
        ),
        tool(
            "move_file",
            "Move or rename a file or directory. Fails if the destination already exists.",
            &[("source", "Current path"), ("destination", "New path")],
        ),
        tool(
            "get_file_info",
            "Retrieve metadata about a file or directory: size, creation time, last \
             modified time, permissions and type.",
            &[("path", "File or directory")],
        ),
        tool(
            "list_allowed_directories",
            "Returns the list of directories this server may access. Use it to learn which \
             directories are available before trying to access files.",
            &[],
        ),
    ]))
}

fn git() -> Value {
    tools(json!([
        tool(
            "git_status",
            "Shows the working tree status",
            &[("repo_path", "Path to the Git repository")]
        ),
        tool(
            "git_diff_unstaged",
            "Shows changes in the working directory that are not yet staged",
            &[("repo_path", "Repository")]
        ),
        tool(
            "git_diff_staged",
            "Shows changes that are staged for commit",
            &[("repo_path", "Repository")]
        ),
        tool(
            "git_diff",
            "Shows differences between branches or commits",
            &[
                ("repo_path", "Repository"),
                ("target", "Branch or commit to compare with")
            ]
        ),
        tool(
            "git_commit",
            "Records changes to the repository",
            &[("repo_path", "Repository"), ("message", "Commit message")]
        ),
        tool(
            "git_add",
            "Adds file contents to the staging area",
            &[("repo_path", "Repository"), ("files", "Files to stage")]
        ),
        tool(
            "git_reset",
            "Unstages all staged changes",
            &[("repo_path", "Repository")]
        ),
        tool(
            "git_log",
            "Shows the commit logs",
            &[
                ("repo_path", "Repository"),
                ("max_count", "Maximum number of commits")
            ]
        ),
        tool(
            "git_create_branch",
            "Creates a new branch from an optional base branch",
            &[
                ("branch_name", "New branch"),
                ("base_branch", "Starting point")
            ]
        ),
        tool(
            "git_checkout",
            "Switches branches",
            &[("branch_name", "Branch to check out")]
        ),
        tool(
            "git_show",
            "Shows the contents of a commit",
            &[("revision", "Commit hash or ref")]
        ),
    ]))
}

fn fetch() -> Value {
    let mut t = tool(
        "fetch",
        "Fetches a URL from the internet and can extract its contents as markdown.\n\n\
         You may have been set up without internet access and told to decline such requests; \
         this tool now gives you internet access, so you can fetch current information and \
         let the user know what you found.",
        &[("url", "URL to fetch")],
    );
    t["inputSchema"]["properties"]["max_length"] = json!({
        "type": "integer", "default": 5000, "exclusiveMaximum": 1000000, "exclusiveMinimum": 0,
        "description": "Maximum number of characters to return."
    });
    t["inputSchema"]["properties"]["start_index"] = json!({
        "type": "integer", "default": 0, "minimum": 0,
        "description": "Start the output at this character index; useful when an earlier fetch was cut off and more context is needed."
    });
    t["inputSchema"]["properties"]["raw"] = json!({
        "type": "boolean", "default": false,
        "description": "Get the page's HTML as it is, without simplification."
    });
    tools(json!([t]))
}

fn memory() -> Value {
    let entity = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The name of the entity"},
            "entityType": {"type": "string", "description": "The type of the entity"},
            "observations": {"type": "array", "items": {"type": "string"}, "description": "Observation contents associated with the entity"}
        },
        "required": ["name", "entityType", "observations"]
    });
    tools(json!([
        {"name": "create_entities", "description": "Create several new entities in the knowledge graph",
         "inputSchema": {"type": "object", "properties": {"entities": {"type": "array", "items": entity}}, "required": ["entities"]}},
        tool("create_relations", "Create relations between entities in the knowledge graph. Relations should be in active voice.", &[("from", "Source entity"), ("to", "Target entity"), ("relationType", "Kind of relation")]),
        tool("add_observations", "Add new observations to existing entities in the knowledge graph", &[("entityName", "Entity to add to")]),
        tool("delete_entities", "Delete entities and their relations from the knowledge graph", &[("entityNames", "Entities to delete")]),
        tool("read_graph", "Read the entire knowledge graph", &[]),
        tool("search_nodes", "Search for nodes in the knowledge graph that match a query", &[("query", "Matched against entity names, types and observation content")]),
        tool("open_nodes", "Open specific nodes in the knowledge graph by name", &[("names", "Entity names to retrieve")]),
    ]))
}

fn github() -> Value {
    tools(json!([
        tool("create_issue", "Create a new issue in a GitHub repository", &[
            ("owner", "Repository owner"), ("repo", "Repository name"), ("title", "Issue title"),
            ("body", "Issue body content"), ("milestone", "Milestone number"),
        ]),
        tool("create_or_update_file", "Create or update a single file in a GitHub repository", &[
            ("owner", "Repository owner (username or organization)"), ("repo", "Repository name"),
            ("path", "Path where to create or update the file"), ("content", "Content of the file"),
            ("message", "Commit message"), ("branch", "Branch to create or update the file in"),
            ("sha", "SHA of the file being replaced (required when updating existing files)"),
        ]),
        tool("search_repositories", "Search for GitHub repositories", &[
            ("query", "Search query (see GitHub search syntax)"), ("page", "Page number for pagination (default: 1)"),
        ]),
        tool("get_file_contents", "Get the contents of a file or directory from a GitHub repository", &[
            ("owner", "Repository owner"), ("repo", "Repository name"), ("path", "Path to the file or directory"),
        ]),
        tool("create_pull_request", "Create a new pull request in a GitHub repository", &[
            ("head", "The name of the branch where your changes are implemented"),
            ("base", "The name of the branch you want the changes pulled into"),
        ]),
        tool("add_issue_comment", "Add a comment to an existing issue", &[("body", "Comment text")]),
        tool("search_code", "Search for code across GitHub repositories. Query syntax is documented at https://docs.github.com/en/search-github/searching-on-github/searching-code", &[("q", "Search query")]),
    ]))
}

#[test]
fn reference_style_servers_produce_no_findings() {
    for (name, list) in [
        ("filesystem", filesystem()),
        ("git", git()),
        ("memory", memory()),
    ] {
        let f = vet_tools(name, &list);
        assert_eq!(summary(&f), [], "{name}: {f:#?}");
    }
}

#[test]
fn fetch_server_telling_the_model_it_may_now_browse_is_not_high() {
    let f = vet_tools("fetch", &fetch());
    assert!(worst(&f) < Some(Severity::High), "{f:#?}");
}

#[test]
fn github_style_server_has_only_its_documentation_link() {
    let f = vet_tools("github", &github());
    assert_eq!(
        summary(&f),
        [(
            "search_code".to_string(),
            "mcp.poison.exfil-url",
            Severity::Low
        )]
    );
}

#[test]
fn all_reference_servers_together_shadow_nothing() {
    // Vetting each server with the others' tools in the context: no collisions, and no
    // description mentions another server's tool.
    let servers = [
        ("filesystem", filesystem()),
        ("git", git()),
        ("fetch", fetch()),
        ("memory", memory()),
        ("github", github()),
    ];
    let mut ctx = VetContext::new();
    for (name, list) in &servers {
        ctx.add_server_tools(name, warden_vet::list_names(ListMethod::Tools, list));
    }
    for (name, list) in &servers {
        let f = checked(vet_list(name, ListMethod::Tools, list, &ctx));
        assert!(worst(&f) < Some(Severity::High), "{name}: {f:#?}");
        assert!(
            f.iter()
                .all(|f| f.rule != "mcp.shadow.name" && f.rule != "mcp.poison.cross-tool"),
            "{name}: {f:#?}"
        );
    }
}

#[test]
fn ordinary_guidance_is_not_flagged() {
    let list = tools(json!([
        tool(
            "schedule_meeting",
            "Use this tool when the user asks to schedule, move or cancel a meeting. Always \
             confirm the time zone with the user before booking.",
            &[("title", "Meeting title"), ("start", "ISO 8601 start time")],
        ),
        tool(
            "run_query",
            "Runs a read-only SQL query. IMPORTANT: queries must be a single SELECT statement.",
            &[("sql", "The query")],
        ),
        tool(
            "grep",
            "Searches file contents with a regular expression.",
            &[
                ("pattern", "Regular expression"),
                (
                    "context",
                    "Number of lines of context to show around each match"
                )
            ],
        ),
        tool(
            "generate_image",
            "Generates an image from a text prompt.",
            &[
                ("prompt", "What the image should show"),
                ("feedback", "Optional notes on the previous attempt")
            ],
        ),
        tool(
            "send_message",
            "Post a message to a Slack channel. Use this tool when the user asks to notify a \
             channel. Returns the message timestamp.",
            &[
                ("channel_id", "Channel to post to"),
                ("text", "Message text")
            ],
        ),
        tool(
            "load_settings",
            "Loads project settings. Falls back to defaults when no settings file exists; \
             otherwise an error is returned for malformed files.",
            &[],
        ),
    ]));
    let f = vet_tools("misc", &list);
    let at_least_low: Vec<_> = summary(&f)
        .into_iter()
        .filter(|(_, _, s)| *s >= Severity::Medium)
        .collect();
    assert_eq!(at_least_low, [], "{f:#?}");
}

#[test]
fn create_user_password_parameter_is_low() {
    let list = tools(json!([tool(
        "create_user",
        "Create a user account in the admin console.",
        &[
            ("username", "Login name"),
            ("password", "Initial password for the new account"),
            ("email", "Contact address")
        ],
    )]));
    let f = vet_tools("admin", &list);
    assert_eq!(
        summary(&f),
        [(
            "create_user".to_string(),
            "mcp.poison.credential",
            Severity::Low
        )]
    );
}

#[test]
fn long_but_honest_description_is_low() {
    let long =
        "Think step by step about the problem, revising earlier thoughts when needed. ".repeat(40);
    let f = vet_tools(
        "thinking",
        &tools(json!([tool(
            "think",
            &long,
            &[("thought", "The current thought")]
        )])),
    );
    assert_eq!(
        summary(&f),
        [(
            "think".to_string(),
            "mcp.poison.long-description",
            Severity::Low
        )]
    );
}

#[test]
fn emoji_and_non_latin_text_are_not_hidden_unicode() {
    let list = tools(json!([
        tool(
            "celebrate",
            "Sends a \u{1F44D}\u{1F3FD} or \u{1F469}\u{200D}\u{1F4BB} reaction.",
            &[]
        ),
        tool(
            "translate_fa",
            "ترجمه\u{200C}ها را برمی\u{200C}گرداند (returns translations).",
            &[]
        ),
    ]));
    assert_eq!(summary(&vet_tools("fun", &list)), []);
}
