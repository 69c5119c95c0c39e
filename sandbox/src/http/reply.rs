//! Success envelopes of the generated types.

/// `Json(types::$envelope { data: Some($data), error_code: None, .. })`.
macro_rules! ok {
    ($envelope:ident, $data:expr) => {
        ::axum::Json(::vlens_client::types::$envelope {
            data: Some($data),
            error_code: None,
            error_message: None,
            error_descriptions: ::serde_json::Value::Null,
        })
    };
}

pub(crate) use ok;
