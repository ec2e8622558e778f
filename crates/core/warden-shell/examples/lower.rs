//! Print the actions each command on stdin lowers to (a development aid).
use std::io::BufRead;

fn main() {
    let env = warden_action::PathEnv::synthetic(
        "/home/user",
        "/home/user/project",
        Some("/home/user/project"),
    );
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("$ {line}");
        for a in warden_shell::lower(&line, &env) {
            let what = match (&a.op, a.op.path()) {
                (_, Some(p)) => p.path.clone(),
                (warden_action::Operation::Exec(e), _) => e.argv.join(" "),
                (warden_action::Operation::Network(n), _) => {
                    format!("{} data={}", n.host, n.sends_local_data)
                }
                _ => String::new(),
            };
            let op = a
                .opaque
                .as_ref()
                .map(|o| format!("   OPAQUE: {}", o.reason))
                .unwrap_or_default();
            println!("    {} {what}{op}", a.kind().as_str());
        }
    }
}
