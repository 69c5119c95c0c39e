//! The URL functions of templates: a query parameter read or set, the path of a link. A
//! signing link's `SecurityHash` and `RequestId` come back this way, and a case tampers with
//! them the same way. Hand-written rather than with the `url` crate (already in the tree through
//! reqwest): a case sets a parameter to exactly the text it wrote, a malformed hash included,
//! where `url`'s query serializer would percent-encode it and normalise the rest of the URL.

/// The `name` parameter of a URL's query string, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode(value))
    })
}

/// The URL with query parameter `name` set to `value` (replaced, or added).
pub fn set_query_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| pair.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{name}={value}"));
    format!("{base}?{}", pairs.join("&"))
}

/// `/path?query` of an absolute URL.
pub fn url_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    Some(rest.find('/').map_or("/", |index| &rest[index..]))
}

/// Query-string decoding: `+` is a space, then `%XX` escapes.
fn percent_decode(text: &str) -> String {
    vlens_openapi::percent_decode(&text.replace('+', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_and_paths() {
        let url = "https://h/sign?RequestId=a%2Db&SecurityHash=ff00";
        assert_eq!(query_param(url, "SecurityHash").as_deref(), Some("ff00"));
        assert_eq!(query_param(url, "RequestId").as_deref(), Some("a-b"));
        assert_eq!(query_param(url, "nope"), None);
        assert_eq!(
            url_path(url),
            Some("/sign?RequestId=a%2Db&SecurityHash=ff00")
        );
        assert_eq!(
            set_query_param(url, "SecurityHash", "00"),
            "https://h/sign?RequestId=a%2Db&SecurityHash=00"
        );
        assert_eq!(set_query_param("https://h/p", "a", "1"), "https://h/p?a=1");
        assert_eq!(url_path("ftp://h/x"), None);
        assert_eq!(url_path("https://h"), Some("/"));
    }
}
