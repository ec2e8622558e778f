//! The embedded baseline policy, also as JSON: a cold process (`warden check`, a hook's local
//! fallback) parses the JSON form, several times faster than the YAML. The YAML stays the
//! source, and what error positions and self-test reports point into.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=policy/baseline.yaml");
    let text = match std::fs::read_to_string("policy/baseline.yaml") {
        Ok(t) => t,
        Err(e) => {
            println!("cargo::error=cannot read policy/baseline.yaml: {e}");
            return;
        }
    };
    let value: serde_json::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            println!("cargo::error=policy/baseline.yaml is not valid YAML: {e}");
            return;
        }
    };
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set");
        return;
    };
    if let Err(e) = std::fs::write(out.join("baseline.json"), value.to_string()) {
        println!("cargo::error=cannot write baseline.json: {e}");
    }
}
