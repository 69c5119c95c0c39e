//! The structure of an OpenAPI 3.0 document: its operations, their parameters, bodies and
//! responses, with local `$ref`s followed. Read from the converted document (its schemas are
//! JSON Schema); the vendor extensions are read afterwards by [`crate::extensions`].

use serde_json::Value;

use crate::convert::METHODS;
use crate::path::PathTemplate;
use crate::spec::{Operation, Parameter, ParameterLocation, RequestBody, Response, escape};

/// A structural problem: where (JSON pointer) and what.
pub(crate) type Problem = (String, String);

/// Every operation, in document order; the first structural problem otherwise.
pub(crate) fn parse_operations(document: &Value) -> Result<Vec<Operation>, Problem> {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Err(("/paths".to_owned(), "missing `paths` object".to_owned()));
    };
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item_pointer = format!("/paths/{}", escape(path));
        let template = PathTemplate::parse(path).map_err(|m| (item_pointer.clone(), m))?;
        let shared = item
            .get("parameters")
            .map(|list| parse_parameters(document, list, &format!("{item_pointer}/parameters")))
            .transpose()?
            .unwrap_or_default();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let pointer = format!("{item_pointer}/{method}");
            let parsed = parse_operation(
                document, operation, &pointer, method, path, &template, &shared,
            )?;
            if let Some(known) = operations
                .iter()
                .find(|known: &&Operation| known.id == parsed.id)
            {
                return Err((
                    format!("{pointer}/operationId"),
                    format!(
                        "operation `{}` ({} {path}): operationId is used twice (also {} {})",
                        parsed.id, parsed.method, known.method, known.path
                    ),
                ));
            }
            operations.push(parsed);
        }
    }
    Ok(operations)
}

fn parse_operation(
    document: &Value,
    operation: &Value,
    pointer: &str,
    method: &str,
    path: &str,
    template: &PathTemplate,
    shared: &[Parameter],
) -> Result<Operation, Problem> {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            (
                pointer.to_owned(),
                format!("{} {path} has no operationId", method.to_ascii_uppercase()),
            )
        })?
        .to_owned();
    let mut parameters = shared.to_vec();
    if let Some(list) = operation.get("parameters") {
        for parameter in parse_parameters(document, list, &format!("{pointer}/parameters"))? {
            // An operation-level parameter overrides a path-level one of the same name and place.
            parameters.retain(|known| {
                known.name != parameter.name || known.location != parameter.location
            });
            parameters.push(parameter);
        }
    }
    for name in template.parameter_names() {
        let declared = parameters
            .iter()
            .any(|p| p.location == ParameterLocation::Path && p.name == name);
        if !declared {
            return Err((
                pointer.to_owned(),
                format!("path parameter `{name}` of `{path}` is not declared"),
            ));
        }
    }
    let request_body = operation
        .get("requestBody")
        .map(|body| parse_request_body(document, body, &format!("{pointer}/requestBody")))
        .transpose()?;
    let responses_pointer = format!("{pointer}/responses");
    let Some(declared) = operation.get("responses").and_then(Value::as_object) else {
        return Err((responses_pointer, "missing `responses`".to_owned()));
    };
    let responses = declared
        .iter()
        .map(|(key, response)| {
            parse_response(
                document,
                key,
                response,
                &format!("{responses_pointer}/{}", escape(key)),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tags = operation
        .get("tags")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Operation {
        id,
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: operation
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        tags,
        parameters,
        request_body,
        responses,
        // Filled in by `extensions::read`.
        error_codes: Vec::new(),
        token: None,
        messages: Vec::new(),
        pointer: pointer.to_owned(),
        template: template.clone(),
    })
}

fn parse_parameters(
    document: &Value,
    list: &Value,
    pointer: &str,
) -> Result<Vec<Parameter>, Problem> {
    let Some(list) = list.as_array() else {
        return Err((pointer.to_owned(), "`parameters` is not a list".to_owned()));
    };
    list.iter()
        .enumerate()
        .map(|(index, parameter)| {
            let (parameter, pointer) = resolve(document, parameter, &format!("{pointer}/{index}"))?;
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| (pointer.clone(), "parameter without `name`".to_owned()))?;
            let location = match parameter.get("in").and_then(Value::as_str) {
                Some("path") => ParameterLocation::Path,
                Some("query") => ParameterLocation::Query,
                Some("header") => ParameterLocation::Header,
                Some("cookie") => ParameterLocation::Cookie,
                other => {
                    return Err((
                        format!("{pointer}/in"),
                        format!("parameter `{name}` has an unknown location {other:?}"),
                    ));
                }
            };
            let schema = parameter.get("schema").cloned();
            Ok(Parameter {
                name: name.to_owned(),
                location,
                required: parameter.get("required").and_then(Value::as_bool) == Some(true),
                schema_pointer: schema.as_ref().map(|_| format!("{pointer}/schema")),
                schema,
            })
        })
        .collect()
}

fn parse_request_body(
    document: &Value,
    body: &Value,
    pointer: &str,
) -> Result<RequestBody, Problem> {
    let (body, pointer) = resolve(document, body, pointer)?;
    let (content_types, schema, schema_pointer) = parse_content(body, &pointer);
    Ok(RequestBody {
        required: body.get("required").and_then(Value::as_bool) == Some(true),
        content_types,
        schema,
        schema_pointer,
    })
}

fn parse_response(
    document: &Value,
    key: &str,
    response: &Value,
    pointer: &str,
) -> Result<Response, Problem> {
    let valid_key = key == "default"
        || (key.len() == 3
            && key.as_bytes()[0].is_ascii_digit()
            && (key[1..].bytes().all(|b| b.is_ascii_digit())
                || key[1..].eq_ignore_ascii_case("XX")));
    if !valid_key {
        return Err((
            pointer.to_owned(),
            format!("`{key}` is not a response status"),
        ));
    }
    let (response, pointer) = resolve(document, response, pointer)?;
    let (content_types, schema, schema_pointer) = parse_content(response, &pointer);
    Ok(Response {
        // Ranges are upper-cased (`4xx` → `4XX`); `default` keeps its spelling, which
        // `Operation::response_for_status` looks for.
        key: if key == "default" {
            key.to_owned()
        } else {
            key.to_ascii_uppercase()
        },
        description: response
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        content_types,
        schema,
        schema_pointer,
    })
}

/// The media types of a `content` map and the JSON one's schema and its pointer.
fn parse_content(holder: &Value, pointer: &str) -> (Vec<String>, Option<Value>, Option<String>) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return (Vec::new(), None, None);
    };
    let content_types = content.keys().cloned().collect();
    let json = content.iter().find(|(media, _)| is_json_media_type(media));
    match json.and_then(|(media, body)| Some((media, body.get("schema")?))) {
        Some((media, schema)) => (
            content_types,
            Some(schema.clone()),
            Some(format!("{pointer}/content/{}/schema", escape(media))),
        ),
        None => (content_types, None, None),
    }
}

/// `application/json`, `application/problem+json`, `text/json`, with or without parameters.
pub(crate) fn is_json_media_type(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or(media).trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// Follows local `$ref`s (`#/components/...`) to the object they name, with its pointer.
fn resolve<'d>(
    document: &'d Value,
    mut value: &'d Value,
    pointer: &str,
) -> Result<(&'d Value, String), Problem> {
    let mut pointer = pointer.to_owned();
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok((value, pointer));
        };
        let Some(target) = reference.strip_prefix('#') else {
            return Err((
                format!("{pointer}/$ref"),
                format!("only local references are supported, not `{reference}`"),
            ));
        };
        value = document.pointer(target).ok_or_else(|| {
            (
                format!("{pointer}/$ref"),
                format!("`{reference}` points at nothing"),
            )
        })?;
        pointer = target.to_owned();
    }
    Err((pointer, "`$ref` chain longer than 32 hops".to_owned()))
}
