//! Paging through the list operations that take `SkipCount` and `MaxResultCount`.
//!
//! [`Pages`] asks for one page at a time, moves `SkipCount` on by what came back, and stops on
//! an empty page, once `totalCount` is reached, or — when the server sends no count — on a page
//! shorter than asked for. [`Pages::into_stream`] gives the same as a `Stream`.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;

use futures_util::Stream;

use crate::envelope::{CallResult, Envelope, ResultExt};
use crate::error::VlensError;
use crate::generated::{Client, types};

type PageFuture<E> = Pin<Box<dyn Future<Output = CallResult<E>> + Send>>;
type Fetch<E> = Box<dyn FnMut(Client, Option<NonZeroU32>, Option<i32>) -> PageFuture<E> + Send>;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The `SkipCount` this page was asked for.
    pub skip: i32,
    /// `totalCount`: how many items the whole list has, if the server said.
    pub total_count: Option<i64>,
}

/// The pages of one list operation: see [`Client::pages`].
pub struct Pages<E> {
    client: Client,
    fetch: Fetch<E>,
    page_size: NonZeroU32,
    skip: i32,
    done: bool,
}

impl<E> fmt::Debug for Pages<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("page_size", &self.page_size)
            .field("skip", &self.skip)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Pages through any list operation: `fetch` is called with a clone of this client, the page
    /// size and the number of items to skip.
    ///
    /// ```no_run
    /// # async fn demo(client: &vlens_client::Client) -> Result<(), vlens_client::VlensError> {
    /// use std::num::NonZeroU32;
    /// const PAGE: NonZeroU32 = NonZeroU32::new(50).unwrap();
    /// let mut pages = client.pages(PAGE, |c, max, skip| async move {
    ///     c.get_current_business_request_list_ids(max, skip).await
    /// });
    /// while let Some(page) = pages.next_page().await? {
    ///     println!("{} of {:?}", page.items.len(), page.total_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages<E, F, Fut>(&self, page_size: NonZeroU32, mut fetch: F) -> Pages<E>
    where
        F: FnMut(Client, Option<NonZeroU32>, Option<i32>) -> Fut + Send + 'static,
        Fut: Future<Output = CallResult<E>> + Send + 'static,
    {
        Pages {
            client: self.clone(),
            fetch: Box::new(move |client, max, skip| Box::pin(fetch(client, max, skip))),
            page_size,
            skip: 0,
            done: false,
        }
    }

    /// The calling user's business requests (BR6), `page_size` at a time.
    pub fn business_request_pages(
        &self,
        page_size: NonZeroU32,
    ) -> Pages<types::ApiOutputBusinessRequestList> {
        self.pages(page_size, |client, max, skip| async move {
            client.get_current_business_request_list(max, skip).await
        })
    }

    /// The calling user's request ids and statuses (BR7), `page_size` at a time.
    pub fn business_request_summary_pages(
        &self,
        page_size: NonZeroU32,
    ) -> Pages<types::ApiOutputBusinessRequestSummaryList> {
        self.pages(page_size, |client, max, skip| async move {
            client
                .get_current_business_request_list_ids(max, skip)
                .await
        })
    }
}

impl<E, T> Pages<E>
where
    E: Envelope<Data = Vec<T>> + Send + 'static,
    T: Send + 'static,
{
    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, VlensError> {
        if self.done {
            return Ok(None);
        }
        let skip = self.skip;
        let envelope = (self.fetch)(self.client.clone(), Some(self.page_size), Some(skip))
            .await
            .envelope()
            .inspect_err(|_| self.done = true)?;
        let total_count = envelope.total_count();
        let items = envelope.into_data().unwrap_or_default();
        let returned = i32::try_from(items.len()).unwrap_or(i32::MAX);
        // A server that ignored SkipCount and kept answering full pages with no count would
        // never end this loop: the offset saturating at i32::MAX ends it.
        self.skip = skip.saturating_add(returned);
        let short = u32::try_from(items.len()).unwrap_or(u32::MAX) < self.page_size.get();
        self.done = items.is_empty()
            || self.skip == i32::MAX
            || match total_count {
                Some(total) => i64::from(self.skip) >= total,
                None => short,
            };
        if items.is_empty() {
            return Ok(None);
        }
        Ok(Some(Page {
            items,
            skip,
            total_count,
        }))
    }

    /// The pages as a stream; it ends after the last page or the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>, VlensError>> + Send {
        futures_util::stream::try_unfold(self, |mut pages| async move {
            Ok(pages.next_page().await?.map(|page| (page, pages)))
        })
    }
}
