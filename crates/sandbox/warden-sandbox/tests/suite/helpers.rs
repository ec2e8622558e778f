use std::ffi::OsString;
use std::path::{Path, PathBuf};

use warden_policy::{Layer, Policy, PolicySource};
use warden_sandbox::{ExecRequest, Report, SandboxSpec};

pub const SSH_KEY: &str = "SECRET-SSH-KEY-0123";
pub const AWS_KEY: &str = "SECRET-AWS-KEY-4567";

/// A temporary home and workspace (outside `/tmp`, which the sandbox may write).
pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub ws: PathBuf,
    pub tmp: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
    pub report: Report,
}

impl Run {
    pub fn both(&self) -> String {
        format!("{}{}", self.out, self.err)
    }
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The user layer the tests add: the toolchains of this machine live under `/root`, which the
/// baseline's `credentials.system-secrets` denies to a non-root agent.
pub fn user_layer(extra_hosts: &[String]) -> String {
    let hosts: Vec<String> = extra_hosts.iter().map(|h| format!("\"{h}\"")).collect();
    format!(
        "version: 1\ndisable: [credentials.system-secrets]\nlists:\n  sandbox_hosts: [{}]\n",
        hosts.join(", ")
    )
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sbx")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let home = root.join("home");
        let ws = home.join("project");
        let tmp = root.join("tmp");
        write(&home.join(".ssh/id_rsa"), SSH_KEY);
        write(&home.join(".ssh/id_rsa.pub"), "ssh-rsa AAAA public");
        write(&home.join(".aws/credentials"), AWS_KEY);
        write(&home.join(".bashrc"), "# rc\n");
        write(&home.join("notes.txt"), "my notes\n");
        write(&home.join(".claude/settings.json"), "{}\n");
        write(&home.join(".config/warden/policy.yaml"), "version: 1\n");
        write(&ws.join("README.md"), "hello workspace\n");
        write(&ws.join(".claude/settings.json"), "{}\n");
        write(&ws.join(".warden/policy.yaml"), "version: 1\n");
        std::fs::create_dir_all(&tmp).unwrap();
        Sandbox {
            _dir: dir,
            home,
            ws,
            tmp,
        }
    }

    pub fn policy(&self, user: &str) -> Policy {
        let user = PolicySource {
            layer: Layer::User,
            name: "test-user.yaml".into(),
            text: user.into(),
        };
        Policy::load(&[PolicySource::baseline(), user]).unwrap()
    }

    pub fn spec_with(&self, user: &str) -> SandboxSpec {
        SandboxSpec::from_policy(
            &self.policy(user),
            &self.home,
            &self.ws,
            std::slice::from_ref(&self.tmp),
        )
    }

    pub fn spec(&self) -> SandboxSpec {
        self.spec_with(&user_layer(&[]))
    }

    pub fn run(&self, spec: SandboxSpec, argv: &[&str], env: &[(&str, &str)]) -> Run {
        let req = ExecRequest {
            argv: argv.iter().map(OsString::from).collect(),
            cwd: self.ws.clone(),
            spec,
            env: [
                ("HOME", self.home.to_str().unwrap()),
                ("TMPDIR", self.tmp.to_str().unwrap()),
            ]
            .into_iter()
            .chain(env.iter().copied())
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect(),
            capture: true,
            ask: None,
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(warden_sandbox::run(req)).unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
            report: out.report,
        }
    }

    /// `bash -c SCRIPT` in the sandbox, with `$HOME` and `$WS` set.
    pub fn sh(&self, script: &str) -> Run {
        self.sh_spec(self.spec(), script)
    }

    pub fn sh_spec(&self, spec: SandboxSpec, script: &str) -> Run {
        self.run(
            spec,
            &["bash", "-c", script],
            &[("WS", self.ws.to_str().unwrap())],
        )
    }
}

pub fn has(bin: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
