//! Issue 9.4: the list operations page with SkipCount/MaxResultCount until the list ends.

mod common;

use std::num::NonZeroU32;

use common::{MockServer, Scripted};
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use vlens_client::{Client, RetryPolicy, VlensError};

const TWO: NonZeroU32 = NonZeroU32::new(2).unwrap();

fn client(url: &str) -> Client {
    Client::builder(url, "k")
        .bearer_token("t")
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("builds")
}

fn summary(n: u32) -> Value {
    json!({"id": uuid::Uuid::from_u128(u128::from(n)), "requestNumber": format!("BR-{n}"),
           "requeststatus": 1, "requestStatusName": "Pending Approval",
           "creationTime": "2026-11-29T10:00:00Z", "typeName": "Personal loan"})
}

fn page(items: &[u32], total: Option<i64>) -> Scripted {
    let mut body = json!({
        "data": items.iter().map(|&n| summary(n)).collect::<Vec<_>>(),
        "returnedCount": items.len(),
        "error_code": null, "error_message": null, "error_descriptions": null
    });
    if let Some(total) = total {
        body["totalCount"] = json!(total);
    }
    Scripted::json(200, body)
}

fn queries(server: &MockServer) -> Vec<String> {
    server.recorded().into_iter().map(|r| r.query).collect()
}

#[tokio::test]
async fn pages_follow_skip_count_until_the_total_is_reached() {
    let server = MockServer::start().await;
    server.script([
        page(&[1, 2], Some(5)),
        page(&[3, 4], Some(5)),
        page(&[5], Some(5)),
    ]);
    let client = client(&server.url);
    let mut pages = client.business_request_summary_pages(TWO);
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await.expect("a page") {
        assert_eq!(page.total_count, Some(5));
        seen.push((page.skip, page.items.len()));
    }
    assert_eq!(seen, [(0, 2), (2, 2), (4, 1)]);
    assert_eq!(
        queries(&server),
        [
            "MaxResultCount=2&SkipCount=0",
            "MaxResultCount=2&SkipCount=2",
            "MaxResultCount=2&SkipCount=4"
        ]
    );
    assert!(pages.next_page().await.expect("done").is_none());
    assert_eq!(
        server.recorded().len(),
        3,
        "nothing is asked after the last page"
    );
}

#[tokio::test]
async fn without_a_total_a_short_or_empty_page_ends_the_stream() {
    let server = MockServer::start().await;
    server.script([page(&[1, 2], None), page(&[3], None)]);
    let pages: Vec<_> = client(&server.url)
        .business_request_summary_pages(TWO)
        .into_stream()
        .try_collect()
        .await
        .expect("pages");
    let numbers: Vec<Vec<String>> = pages
        .iter()
        .map(|p| p.items.iter().map(|i| i.request_number.clone()).collect())
        .collect();
    assert_eq!(numbers, [vec!["BR-1", "BR-2"], vec!["BR-3"]]);
    assert_eq!(server.recorded().len(), 2);

    let server = MockServer::start().await;
    server.script([page(&[1, 2], None), page(&[], None)]);
    let pages: Vec<_> = client(&server.url)
        .business_request_summary_pages(TWO)
        .into_stream()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 1, "an empty page is the end, not a page");
}

#[tokio::test]
async fn an_error_ends_the_stream_with_the_error() {
    let server = MockServer::start().await;
    server.script([
        page(&[1, 2], Some(9)),
        Scripted::json(401, json!({"data": null, "error_code": 401, "error_message": "Unauthorized", "error_descriptions": null})),
    ]);
    let mut stream = std::pin::pin!(
        client(&server.url)
            .business_request_summary_pages(TWO)
            .into_stream()
    );
    assert!(stream.try_next().await.expect("first page").is_some());
    let error: VlensError = stream.try_next().await.expect_err("401");
    assert!(error.api().is_some_and(|a| a.status == 401), "{error}");
    assert!(stream.try_next().await.expect("ended").is_none());
}
