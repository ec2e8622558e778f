//! Robustness of the parser entry point: any input returns, nothing panics, and what cannot be
//! read is opaque. Property cases come from proptest; CI raises the case count with
//! `PROPTEST_CASES` for a bounded fuzzing run.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use warden_action::{Action, PathEnv};

fn env() -> PathEnv {
    PathEnv::synthetic("/home/u", "/home/u/proj", Some("/home/u/proj"))
}

/// Generous bound that only a pathological blow-up (exponential expansion, quadratic re-parsing)
/// exceeds even in a debug build on a busy machine; the real latency is measured by the benchmark.
const BLOWUP: Duration = Duration::from_secs(2);

fn lower_timed(cmd: &str) -> Vec<Action> {
    let start = Instant::now();
    let out = warden_shell::lower(cmd, &env());
    let took = start.elapsed();
    assert!(
        took < BLOWUP,
        "lowering took {took:?} for {} bytes",
        cmd.len()
    );
    out
}

#[test]
fn hostile_inputs_return_and_are_opaque_when_unreadable() {
    let cases: Vec<String> = vec![
        "x".repeat(1 << 20),
        format!("echo {}", "a ".repeat(500_000)),
        "(".repeat(100_000),
        "$(".repeat(50_000),
        "{ ".repeat(50_000),
        "`".repeat(10_001),
        "'".repeat(7),
        "a{b,c}".repeat(200),
        "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}{w,x}".into(),
        "f(){ f; }; f".into(),
        "alias a=b; alias b=a; a".into(),
        "x=$x$x; x=$x$x; x=$x$x; x=$x$x; echo $x".into(),
        String::from_utf8_lossy(&[0xff, 0xfe, b'r', b'm', 0x00, b' ', b'/', 0x80]).into_owned(),
        "\u{0}\u{1}\u{7f}".into(),
        "cat <<EOF\n".repeat(1000),
        "cat <<EOF ".repeat(6000),
        "echo a | ".repeat(7000),
    ];
    for c in &cases {
        let actions = lower_timed(c);
        for a in &actions {
            // Every action is well formed enough to serialise (the gate and audit need that).
            serde_json::to_string(a).expect("serialises");
        }
    }
    // Found by the fuzz test: the grammar's C scanner crashed the process on this.
    let _ = lower_timed("{\u{ac551}");
    let huge = lower_timed(&cases[0]);
    assert_eq!(huge.len(), 1);
    assert!(huge[0].opaque.is_some(), "a 1 MB command is opaque");
    let nested = lower_timed(&cases[2]);
    assert!(
        nested.iter().any(|a| a.opaque.is_some()),
        "100k nested parentheses are opaque"
    );
}

/// Shell-ish text: words, operators, quotes and expansions glued at random.
fn shellish() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("rm".to_string()),
        Just("-rf".to_string()),
        Just("/".to_string()),
        Just("~/.ssh/id_rsa".to_string()),
        Just("cat".to_string()),
        Just("curl".to_string()),
        Just("bash -c".to_string()),
        Just("|".to_string()),
        Just("&&".to_string()),
        Just(";".to_string()),
        Just(">".to_string()),
        Just("<<EOF\nx\nEOF\n".to_string()),
        Just("$(".to_string()),
        Just(")".to_string()),
        Just("`".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("${IFS}".to_string()),
        Just("{a,b}".to_string()),
        Just("$X".to_string()),
        Just("X=rm".to_string()),
        Just("f(){".to_string()),
        Just("}".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        "[a-z]{1,8}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(atom, 0..40).prop_map(|v| v.join(" "))
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,400}") {
        let _ = lower_timed(&s);
    }

    #[test]
    fn shellish_text_never_panics(s in shellish()) {
        let actions = lower_timed(&s);
        for a in &actions {
            // Every exec names a program: nothing reaches the policy half-built.
            if let warden_action::Operation::Exec(e) = &a.op {
                prop_assert!(!e.argv.is_empty(), "empty argv for {:?}", s);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = lower_timed(&s);
    }
}
