//! Turns the two embedded specs into JSON in `OUT_DIR`: every tool that loads them (each
//! conformance run among them) then parses JSON, several times faster than YAML, instead of
//! converting the YAML again on every start. A spec that is not YAML fails the build, with the
//! parser's line and column.

#[path = "src/yaml.rs"]
mod yaml;

use std::path::PathBuf;

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in ["vlens", "sandbox-control"] {
        let source = format!("{name}.yaml");
        println!("cargo::rerun-if-changed={source}");
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|error| panic!("cannot read openapi/{source}: {error}"));
        let json = yaml::yaml_to_json(&text)
            .unwrap_or_else(|message| panic!("openapi/{source} is not valid YAML: {message}"));
        std::fs::write(out_dir.join(format!("{name}.json")), json.to_string())
            .unwrap_or_else(|error| panic!("cannot write {name}.json to OUT_DIR: {error}"));
    }
}
