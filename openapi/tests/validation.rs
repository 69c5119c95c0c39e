//! Replies and request bodies of several operations, valid and invalid, checked against the
//! embedded specs.

use serde_json::{Value, json};
use vlens_openapi::{ApiSpec, ParameterLocation, Violation, ViolationKind, sandbox_control, vlens};

fn violations(result: Result<(), Vec<Violation>>) -> Vec<Violation> {
    match result {
        Ok(()) => panic!("expected violations, the JSON was accepted"),
        Err(violations) => violations,
    }
}

fn ok(result: Result<(), Vec<Violation>>) {
    if let Err(violations) = result {
        let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
        panic!("expected no violations, got:\n{}", lines.join("\n"));
    }
}

fn business_request() -> Value {
    json!({
        "id": "81f404b3-d7dc-4f08-b4fe-934853c86282",
        "typeName": "Personal Loan",
        "requestNumber": "REQ-2025-00001",
        "requeststatus": 2,
        "requestStatusName": "Approved",
        "fullName": null,
        "user": null,
        "relatedBusinessRequest": [null],
        "creationTime": "2025-01-15T10:30:00Z",
        "lastModificationTime": null,
        "requestFields": [{"key": "amount", "type": "text", "value": null, "multiValues": null}]
    })
}

fn envelope(data: Value) -> Value {
    json!({"data": data, "error_code": null, "error_message": null, "error_descriptions": null})
}

#[test]
fn both_specs_load() {
    assert_eq!(vlens().operations().len(), 32);
    assert!(vlens().error_codes().len() >= 37);
    assert!(sandbox_control().operation("sandbox-health").is_some());
    assert!(
        sandbox_control()
            .operation("sandbox-create-tenant")
            .is_some()
    );
}

#[test]
fn operations_carry_parameters_bodies_responses_and_extensions() {
    let create = vlens().operation("create-business-request").unwrap();
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/api/BusinessRequest/Create/{typeId}");
    assert_eq!(create.token, Some(vlens_openapi::TokenKind::User));
    assert_eq!(
        create.error_codes,
        ["NotEligible", "RequestTypeNotFound", "InvalidFieldValue"]
    );
    let keys: Vec<&str> = create.response_keys().collect();
    assert_eq!(keys, ["200", "4XX", "5XX"]);
    let type_id = create.parameter("typeId").unwrap();
    assert_eq!(type_id.location, ParameterLocation::Path);
    assert!(type_id.required);
    let api_key = create.parameter("ApiKey").unwrap();
    assert_eq!(api_key.location, ParameterLocation::Header);
    let body = create.request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.content_types, ["application/json"]);
    let code = vlens().error_code("LocationRevalidationRequired").unwrap();
    assert_eq!((code.code, code.http_status), (4406, 200));
}

#[test]
fn concrete_paths_find_their_operation() {
    let spec = vlens();
    let id = |method: &str, path: &str| spec.find_operation(method, path).map(|op| op.id.as_str());
    assert_eq!(
        id("POST", "/api/BusinessRequest/Create/414"),
        Some("create-business-request")
    );
    assert_eq!(
        id("post", "/api/BusinessRequest/Create/414?x=1"),
        Some("create-business-request")
    );
    assert_eq!(
        id(
            "GET",
            "/api/BusinessRequest/GetBusinessRequestById/81f404b3-d7dc-4f08-b4fe-934853c86282"
        ),
        Some("get-business-request-by-id")
    );
    assert_eq!(
        id("POST", "/api/DigitalIdentity/Register"),
        Some("register")
    );
    assert_eq!(
        id("POST", "/api/DigitalIdentity/Register/StepVerifyPhone"),
        Some("register-step-verify-phone")
    );
    assert_eq!(id("GET", "/api/BusinessRequest/Create/414"), None);
    assert_eq!(id("POST", "/api/BusinessRequest/Create"), None);
    let control = sandbox_control();
    assert_eq!(
        control
            .find_operation("GET", "/__sandbox/contracts/81f404b3.pdf")
            .map(|op| op.id.as_str()),
        Some("sandbox-contract-pdf")
    );
    let create = spec.operation("create-business-request").unwrap();
    assert_eq!(
        create.match_path("/api/BusinessRequest/Create/414"),
        Some(vec![("typeId".to_owned(), "414".to_owned())])
    );
    assert_eq!(
        create.render_path(|name| (name == "typeId").then_some("414")),
        Ok("/api/BusinessRequest/Create/414".to_owned())
    );
}

#[test]
fn valid_replies_pass_with_nullable_fields() {
    let spec = vlens();
    ok(spec.validate_response(
        "get-business-request-by-id",
        200,
        &envelope(business_request()),
    ));
    ok(spec.validate_response("get-business-request-by-id", 200, &envelope(Value::Null)));
    ok(spec.validate_response(
        "check-eligibility",
        200,
        &envelope(
            json!({"isEligible": true, "isDigitalIdentityVerified": true,
                         "hasPendingRequest": false, "isEmailConfirmed": true}),
        ),
    ));
    ok(spec.validate_response(
        "customer-sign-step-request-otp",
        200,
        &envelope(json!({"otpRequestId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})),
    ));
    let error = json!({"data": null, "error_code": 401, "error_message": "Unauthorized - invalid API Key",
                       "error_descriptions": null});
    ok(spec.validate_response("check-eligibility", 401, &error));
    ok(spec.validate_response("check-eligibility", 503, &error));
}

#[test]
fn a_wrong_type_deep_inside_data_is_pointed_at() {
    let mut data = business_request();
    data["requeststatus"] = json!("2");
    let found =
        violations(vlens().validate_response("get-business-request-by-id", 200, &envelope(data)));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ViolationKind::Schema);
    assert_eq!(found[0].instance_pointer, "/data/requeststatus");
    assert_eq!(
        found[0].schema_path,
        "/components/schemas/RequestStatus/type"
    );
    assert!(found[0].message.contains("integer"), "{}", found[0].message);
    assert!(
        !found[0].message.contains("\"2\""),
        "the value is not quoted: {}",
        found[0].message
    );

    let mut data = business_request();
    data["requestFields"][0]["multiValues"] = json!([1]);
    let found =
        violations(vlens().validate_response("get-business-request-by-id", 200, &envelope(data)));
    assert_eq!(
        found[0].instance_pointer,
        "/data/requestFields/0/multiValues/0"
    );
}

#[test]
fn a_missing_required_field_is_reported() {
    let mut data = business_request();
    data.as_object_mut().unwrap().remove("requestNumber");
    let found =
        violations(vlens().validate_response("get-business-request-by-id", 200, &envelope(data)));
    assert_eq!(found[0].instance_pointer, "/data");
    assert!(
        found[0].message.contains("requestNumber"),
        "{}",
        found[0].message
    );

    let mut reply = envelope(json!({"otpRequestId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}));
    reply.as_object_mut().unwrap().remove("error_code");
    let found =
        violations(vlens().validate_response("customer-sign-step-request-otp", 200, &reply));
    assert_eq!(found[0].instance_pointer, "");
    assert!(found[0].message.contains("error_code"));
}

#[test]
fn formats_are_checked() {
    let spec = vlens();
    let found = violations(spec.validate_response(
        "customer-sign-step-request-otp",
        200,
        &envelope(json!({"otpRequestId": "not-a-uuid"})),
    ));
    assert_eq!(found[0].instance_pointer, "/data/otpRequestId");
    let mut data = business_request();
    data["creationTime"] = json!("yesterday");
    let found =
        violations(spec.validate_response("get-business-request-by-id", 200, &envelope(data)));
    assert_eq!(found[0].instance_pointer, "/data/creationTime");
    let found =
        violations(spec.validate_request_body("verify-id-front", &json!({"image": "not base64!"})));
    assert_eq!(found[0].instance_pointer, "/image");
    ok(spec.validate_request_body("verify-id-front", &json!({"image": "aGVsbG8="})));
    let found = violations(spec.validate_request_body(
        "check-existence-of-email-or-phone",
        &json!({"email": "not an email"}),
    ));
    assert_eq!(found[0].instance_pointer, "/email");
    let found = violations(spec.validate_parameter(
        "create-business-request",
        "typeId",
        &json!(4_294_967_296_i64),
    ));
    assert_eq!(found[0].kind, ViolationKind::Schema);
    ok(spec.validate_parameter("create-business-request", "typeId", &json!(414)));
}

#[test]
fn an_undeclared_status_is_reported_before_the_body() {
    let spec = vlens();
    let found = violations(spec.validate_response("check-eligibility", 302, &json!({})));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, ViolationKind::UndeclaredStatus);
    assert!(found[0].message.contains("302"));
    assert!(found[0].message.contains("200, 4XX, 5XX"));
    // The health operation of the control spec declares no 5XX.
    let found = violations(sandbox_control().validate_response("sandbox-health", 500, &json!({})));
    assert_eq!(found[0].kind, ViolationKind::UndeclaredStatus);
}

#[test]
fn request_bodies_and_parameters_are_checked() {
    let spec = vlens();
    ok(spec.validate_request_body(
        "customer-sign-step-request-otp",
        &json!({"geoLocation": {"latitude": 30.0444, "longitude": 31.2357},
                "userDeviceUtcTime": "2025-01-15T10:30:00Z"}),
    ));
    let found = violations(spec.validate_request_body(
        "customer-sign-step-request-otp",
        &json!({"geoLocation": {"latitude": "30", "longitude": 31.2357},
                "userDeviceUtcTime": "2025-01-15T10:30:00Z", "smsProviders": null}),
    ));
    assert_eq!(found[0].instance_pointer, "/geoLocation/latitude");
    let found = violations(spec.validate_request_body("check-eligibility", &json!({})));
    assert_eq!(found[0].kind, ViolationKind::NoRequestBody);
    let found = violations(spec.validate_request_body("no-such-operation", &json!({})));
    assert_eq!(found[0].kind, ViolationKind::UnknownOperation);
    let found = violations(spec.validate_parameter("check-eligibility", "nope", &json!(1)));
    assert_eq!(found[0].kind, ViolationKind::UnknownParameter);
    ok(spec.validate_at(
        "/components/schemas/GeoLocation",
        &json!({"latitude": 1, "longitude": 2}),
    ));
    let found = violations(spec.validate_at(
        "/components/schemas/GeoLocation",
        &json!({"latitude": 91, "longitude": 2}),
    ));
    assert_eq!(found[0].instance_pointer, "/latitude");
}

#[test]
fn broken_specs_are_errors_not_panics() {
    let error = ApiSpec::parse("broken", "openapi: [").unwrap_err();
    assert!(error.to_string().contains("broken"), "{error}");
    assert!(error.to_string().contains("line"), "{error}");
    let error = ApiSpec::parse("v31", "openapi: 3.1.0\npaths: {}\n").unwrap_err();
    assert!(error.to_string().contains("3.1.0"), "{error}");
    let no_id = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n";
    let error = ApiSpec::parse("no-id", no_id).unwrap_err();
    assert!(error.to_string().contains("operationId"), "{error}");
    assert!(error.to_string().contains("/paths/~1a/get"), "{error}");
    let dangling = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      operationId: a\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n      responses: {'200': {description: ok}}\n";
    let error = ApiSpec::parse("dangling", dangling).unwrap_err();
    assert!(error.to_string().contains("points at nothing"), "{error}");
}

#[test]
fn every_schema_of_both_specs_compiles() {
    for spec in [vlens(), sandbox_control()] {
        let mut pointers: Vec<String> = Vec::new();
        for operation in spec.operations() {
            pointers.extend(
                operation
                    .parameters
                    .iter()
                    .filter_map(|p| p.schema_pointer())
                    .map(str::to_owned),
            );
            pointers.extend(
                operation
                    .request_body
                    .iter()
                    .filter_map(|b| b.schema_pointer())
                    .map(str::to_owned),
            );
            pointers.extend(
                operation
                    .responses
                    .iter()
                    .filter_map(|r| r.schema_pointer())
                    .map(str::to_owned),
            );
        }
        assert!(pointers.len() > 20, "{}", spec.name());
        for pointer in pointers {
            if let Err(violations) = spec.validate_at(&pointer, &json!({"probe": true})) {
                assert!(
                    violations.iter().all(|v| v.kind == ViolationKind::Schema),
                    "{} {pointer}: {violations:?}",
                    spec.name()
                );
            }
        }
    }
}
