//! The legitimate neighbours: ordinary development work inside the sandbox still works.

use super::helpers::{has, Sandbox};

#[test]
fn reads_and_edits_in_the_workspace_and_home_work() {
    let sb = Sandbox::new();
    let r = sb.sh(
        "cat README.md && cat ~/notes.txt && cat ~/.bashrc && cat ~/.claude/settings.json \
         && mkdir -p src/a && echo 'fn main() {}' > src/a/main.rs && sed -i 's/hello/bye/' README.md \
         && mv src/a/main.rs src/a/lib.rs && rm src/a/lib.rs && echo t > x.tmp && cat x.tmp \
         && ls ~/.ssh >/dev/null; echo ok",
    );
    assert!(r.out.contains("hello workspace"), "{}", r.both());
    assert!(r.out.contains("my notes"), "{}", r.both());
    assert!(r.out.trim_end().ends_with("ok"), "{}", r.both());
    assert_eq!(
        std::fs::read_to_string(sb.ws.join("README.md")).unwrap(),
        "bye workspace\n"
    );
}

#[test]
fn temp_dir_is_writable() {
    let sb = Sandbox::new();
    let tmp = sb.tmp.join("f");
    let r = sb.sh(&format!("echo hi > {0} && cat {0}", tmp.display()));
    assert_eq!(r.out, "hi\n", "{}", r.both());
}

#[test]
fn git_init_and_commit_in_the_workspace() {
    let sb = Sandbox::new();
    let r = sb.sh(
        "git init -q . && git -c user.name=t -c user.email=t@e add README.md \
         && git -c user.name=t -c user.email=t@e commit -qm first && git log --oneline | wc -l",
    );
    assert_eq!(r.code, 0, "{}", r.both());
    assert_eq!(r.out.trim(), "1");
}

#[test]
fn python_runs_a_test() {
    if !has("python3") {
        return;
    }
    let sb = Sandbox::new();
    std::fs::write(
        sb.ws.join("test_math.py"),
        "import unittest\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(1 + 1, 2)\n",
    )
    .unwrap();
    let r = sb.sh("python3 -m unittest -q test_math 2>&1");
    assert_eq!(r.code, 0, "{}", r.both());
    assert!(r.out.contains("OK"), "{}", r.out);
}

#[test]
fn cargo_builds_and_tests_a_tiny_project_offline() {
    if !has("cargo") {
        return;
    }
    let sb = Sandbox::new();
    let cargo_home = std::env::var("CARGO_HOME").unwrap_or_else(|_| "/root/.cargo".into());
    let rustup_home = std::env::var("RUSTUP_HOME").unwrap_or_else(|_| "/root/.rustup".into());
    let path = std::env::var("PATH").unwrap();
    let r = sb.run(
        sb.spec(),
        &[
            "bash",
            "-c",
            // Written by hand with its own `[workspace]`: `cargo new` inside a checkout of this
            // repository would try to add the package to the repository's workspace manifest,
            // which the sandbox rightly refuses to write.
            "unset CARGO_TARGET_DIR; mkdir -p tiny/src && printf '[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n' > tiny/Cargo.toml && printf 'fn main() { println!(\"Hello, world!\"); }\n#[test]\nfn works() {}\n' > tiny/src/main.rs && cd tiny && cargo build -q --offline && cargo test -q --offline 2>&1 && ./target/debug/tiny",
        ],
        &[
            ("CARGO_HOME", &cargo_home),
            ("RUSTUP_HOME", &rustup_home),
            ("PATH", &path),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.both());
    assert!(r.out.contains("Hello, world!"), "{}", r.out);
}
