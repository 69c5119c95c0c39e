//! The text of a panic: `panic!` with arguments carries a `String`, with a literal a `&str`.

use std::any::Any;

/// The panic's message, when it has one.
pub(crate) fn message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}
