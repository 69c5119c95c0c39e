//! The vendor extensions the conformance harness relies on: who an operation messages, and how
//! sure the spec is of each error code.

use vlens_openapi::{ApiSpec, ErrorCodeSource, MessageChannel, Recipient};

#[test]
fn operations_that_message_a_person_name_the_recipient() {
    let spec = vlens_openapi::vlens();
    let recipients = |id: &str| -> Vec<(MessageChannel, Recipient)> {
        spec.operation(id)
            .map(|op| {
                op.messages
                    .iter()
                    .map(|m| (m.channel, m.to.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        recipients("customer-sign-step-request-otp"),
        [(MessageChannel::Sms, Recipient::Caller)]
    );
    assert_eq!(
        recipients("register-step-verify-phone"),
        [(
            MessageChannel::Sms,
            Recipient::Body("/phoneNumber".to_owned())
        )]
    );
    assert_eq!(
        recipients("create-invitation"),
        [
            (
                MessageChannel::Sms,
                Recipient::Body("/SessionInput/phoneNumber".to_owned())
            ),
            (
                MessageChannel::Email,
                Recipient::Body("/SessionInput/email".to_owned())
            ),
        ]
    );
    assert!(recipients("check-eligibility").is_empty());
}

#[test]
fn guessed_codes_are_marked_and_a_quoted_message_is_documented() {
    let spec = vlens_openapi::vlens();
    let code = |name: &str| spec.error_code(name).expect(name);
    let location = code("LocationRevalidationRequired");
    assert!(location.is_guess());
    assert!(location.message_documented, "the older docs quote it");
    assert!(!code("OtpInvalid").message_documented);
    assert_eq!(code("Unauthorized").source, ErrorCodeSource::VlensDocs);
    assert!(code("Unauthorized").message_documented);
}

fn with_codes(codes: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-vlens-error-codes:\n{codes}"
    )
}

#[test]
fn an_observed_code_carries_its_provenance_and_bad_entries_are_errors() {
    let spec = ApiSpec::parse(
        "t",
        &with_codes(
            "  - {code: 44006, name: X, httpStatus: 200, message: m, source: observed, \
             observed: {target: api.vlens.co-443, date: '2026-11-29'}}\n",
        ),
    )
    .unwrap();
    let observed = spec.error_code("X").unwrap();
    assert_eq!(observed.source, ErrorCodeSource::Observed);
    assert_eq!(
        observed.observed.as_ref().map(|o| o.target.as_str()),
        Some("api.vlens.co-443")
    );
    for (entry, words) in [
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: observed}\n",
            "needs `observed",
        ),
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: guess}\n",
            "`source` must be",
        ),
        (
            "  - {code: 1, name: X, message: m, source: project}\n",
            "httpStatus",
        ),
        (
            "  - {code: 1, name: X, httpStatus: 200, message: m, source: project, messageSource: me}\n",
            "messageSource",
        ),
    ] {
        let error = ApiSpec::parse("t", &with_codes(entry))
            .unwrap_err()
            .to_string();
        assert!(error.contains(words), "{entry}: {error}");
    }
}

/// A small spec with a bearer scheme, one operation and a table of two codes; `op` and `codes`
/// are YAML spliced in at the operation's and the table's indentation.
fn small_spec(op: &str, codes: &str) -> String {
    format!(
        "openapi: 3.0.3\n\
         info: {{title: t, version: '1'}}\n\
         x-vlens-error-codes:\n\
         \x20 - {{code: 4101, name: First, httpStatus: 200, message: m, source: project}}\n\
         \x20 - {{code: 4102, name: Second, httpStatus: 200, message: m, source: project}}\n\
         {codes}\
         components:\n\
         \x20 securitySchemes:\n\
         \x20   Bearer: {{type: http, scheme: bearer}}\n\
         \x20 schemas:\n\
         \x20   Input:\n\
         \x20     type: object\n\
         \x20     properties:\n\
         \x20       password: {{type: string, x-vlens-secret: true}}\n\
         \x20       count: {{type: integer, x-vlens-decision: Counted from one.}}\n\
         paths:\n\
         \x20 /a:\n\
         \x20   post:\n\
         \x20     operationId: op-a\n\
         \x20     x-vlens-decision: The path is the docs'.\n\
         \x20     requestBody:\n\
         \x20       content:\n\
         \x20         application/json:\n\
         \x20           schema: {{$ref: '#/components/schemas/Input'}}\n\
         \x20     responses:\n\
         \x20       '200': {{description: ok}}\n\
         \x20       default: {{description: other}}\n\
         {op}"
    )
}

fn problems(yaml: &str) -> Vec<vlens_openapi::SpecProblem> {
    match ApiSpec::parse("t", yaml) {
        Err(vlens_openapi::SpecError::Invalid { problems, .. }) => problems,
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

#[test]
fn a_valid_small_spec_exposes_every_extension() {
    let yaml = small_spec(
        "      security: [{Bearer: []}]\n      x-vlens-token: user-or-admin\n      x-vlens-error-codes: [Second]\n",
        "",
    );
    let spec = ApiSpec::parse("t", &yaml).unwrap();
    let op = spec.operation("op-a").unwrap();
    assert_eq!(op.token, Some(vlens_openapi::TokenKind::UserOrAdmin));
    assert_eq!(op.error_codes, ["Second"]);
    assert_eq!(op.pointer(), "/paths/~1a/post");
    assert_eq!(
        op.request_body.as_ref().and_then(|b| b.schema_name()),
        Some("Input")
    );
    // `default` keeps its spelling and catches any other status.
    assert_eq!(
        op.response_for_status(418).map(|r| r.key.as_str()),
        Some("default")
    );
    assert_eq!(
        spec.secret_pointers(),
        ["/components/schemas/Input/properties/password"]
    );
    let anchors: Vec<String> = spec.decisions().iter().map(|d| d.anchor()).collect();
    assert_eq!(anchors, ["Input", "op-a"]);
    assert_eq!(
        spec.decisions()[0].pointer,
        "/components/schemas/Input/properties/count"
    );
    assert_eq!(
        spec.error_code_by_number(4102).map(|c| c.name.as_str()),
        Some("Second")
    );
    // The document as written keeps what the JSON Schema conversion rewrites.
    assert_eq!(
        spec.raw_document()["components"]["schemas"]["Input"]["properties"]["password"]["x-vlens-secret"],
        serde_json::json!(true)
    );
}

#[test]
fn every_bad_extension_is_reported_at_once_with_its_place() {
    let yaml = small_spec(
        "      security: [{Bearer: []}]\n      x-vlens-error-codes: [Second, Nope, Second]\n",
        "  - {code: 4101, name: Second, httpStatus: 200, message: m, source: project, messagesource: vlens-docs}\n",
    );
    let found = problems(&yaml);
    let expect = [
        ("/x-vlens-error-codes/2/name", "`Second` is used twice"),
        (
            "/x-vlens-error-codes/2/code",
            "4101 is already `First`'s number",
        ),
        (
            "/x-vlens-error-codes/2/messagesource",
            "unknown key `messagesource`",
        ),
        (
            "/paths/~1a/post/x-vlens-error-codes/1",
            "operation `op-a` (POST /a): `x-vlens-error-codes` names `Nope`, which the root table does not define",
        ),
        (
            "/paths/~1a/post/x-vlens-error-codes/2",
            "names `Second` twice",
        ),
        (
            "/paths/~1a/post",
            "`x-vlens-token` does not say which token",
        ),
    ];
    for (pointer, words) in expect {
        assert!(
            found
                .iter()
                .any(|p| p.pointer == pointer && p.message.contains(words)),
            "no `{words}` at {pointer} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
}

#[test]
fn tokens_secrets_and_lists_are_checked() {
    for (op, pointer, words) in [
        (
            "      x-vlens-error-codes: []\n      x-vlens-token: user\n",
            "/paths/~1a/post/x-vlens-token",
            "security has no bearer scheme",
        ),
        (
            "      security: [{Bearer: []}]\n      x-vlens-error-codes: []\n      x-vlens-token: robot\n",
            "/paths/~1a/post/x-vlens-token",
            "`x-vlens-token: \"robot\"` is not one of user, admin, user-or-admin, user-optional",
        ),
        (
            "      x-vlens-token: user\n      security: [{Bearer: []}]\n",
            "/paths/~1a/post/x-vlens-error-codes",
            "no `x-vlens-error-codes` list (use [] for none)",
        ),
        (
            "      x-vlens-error-codes: Second\n",
            "/paths/~1a/post/x-vlens-error-codes",
            "is not a list",
        ),
        (
            "      x-vlens-error-codes: []\n      x-vlens-messages: [{channel: sms, to: phone}]\n",
            "/paths/~1a/post/x-vlens-messages/0",
            "`to` is a JSON pointer",
        ),
    ] {
        let found = problems(&small_spec(op, ""));
        assert!(
            found
                .iter()
                .any(|p| p.pointer == pointer && p.message.contains(words)),
            "no `{words}` at {pointer} in {found:#?}"
        );
    }
    let not_a_string = small_spec("      x-vlens-error-codes: []\n", "").replace(
        "count: {type: integer, x-vlens-decision",
        "count: {type: integer, x-vlens-secret: true, x-vlens-decision",
    );
    let found = problems(&not_a_string);
    assert_eq!(
        found[0].pointer,
        "/components/schemas/Input/properties/count"
    );
    assert!(found[0].message.contains("`type: string`"), "{found:#?}");
}

#[test]
fn codes_named_without_a_table_and_duplicate_yaml_keys_are_errors() {
    let yaml = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\n      x-vlens-error-codes: [X]\n      responses: {'200': {description: ok}}\n";
    let found = problems(yaml);
    assert!(
        found[0]
            .message
            .contains("no root `x-vlens-error-codes` table"),
        "{found:#?}"
    );
    let duplicate = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\npaths: {}\n";
    let error = ApiSpec::parse("t", duplicate).unwrap_err().to_string();
    assert!(error.contains("duplicate"), "{error}");
}
