//! YAML to JSON, shared by the crate and its build script (which turns the embedded specs into
//! JSON once, at build time, so that loading them at run time is a JSON parse).

/// YAML to JSON through serde_norway's own `Value`, which refuses duplicate keys (a direct
/// deserialisation into a JSON map would keep the last one silently).
pub(crate) fn yaml_to_json(yaml: &str) -> Result<serde_json::Value, String> {
    let value: serde_norway::Value = serde_norway::from_str(yaml).map_err(|e| e.to_string())?;
    serde_json::to_value(&value).map_err(|e| format!("not representable as JSON: {e}"))
}
