//! Direct method dispatch: from a received request to the application's handler and back to the
//! reply topic and payload.
//!
//! The application lists its methods as `(name, handler)` pairs; [`dispatch_method`] parses the
//! topic, calls the handler whose name matches with the request payload and a reply buffer, and
//! returns the reply topic and how much of the buffer to publish. A name nobody handles gets
//! status 404 and [`UNKNOWN_METHOD_PAYLOAD`], so the cloud caller gets an answer instead of a
//! timeout.

use crate::method::{MethodRequest, MethodResponseTopic};
use crate::topic::TopicParseError;

/// What a handler returns: the status for the hub, and how many bytes of the reply buffer it wrote
/// (a JSON document; Azure wants JSON, `null` or `{}` when there is nothing to say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodResult {
    /// HTTP-like status passed to the cloud caller.
    pub status: u16,
    /// Bytes of the reply buffer that hold the reply payload.
    pub payload_len: usize,
}

/// A method handler: gets the request payload and a buffer for the reply payload.
pub type MethodHandler<'h> = &'h mut dyn FnMut(&[u8], &mut [u8]) -> MethodResult;

/// The reply payload for a method no handler knows (status 404).
pub const UNKNOWN_METHOD_PAYLOAD: &[u8] = b"{\"error\":\"unknown method\"}";

/// Status for a handler that claims to have written more than the reply buffer holds.
pub const HANDLER_OVERRUN_STATUS: u16 = 500;

/// What to publish in answer to a method request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodReply<'a> {
    /// The name of the method that was called.
    pub name: &'a str,
    /// Where to publish the reply.
    pub topic: MethodResponseTopic<'a>,
    /// Bytes of the reply buffer to publish.
    pub payload_len: usize,
}

/// Parses a method request `topic`, runs the handler of that name on `payload`, and returns what
/// to publish; the reply payload is the first [`MethodReply::payload_len`] bytes of `reply`.
///
/// A handler that reports more bytes than `reply` holds is answered with status
/// [`HANDLER_OVERRUN_STATUS`] and an empty payload rather than trusted. An unknown name gets 404
/// with [`UNKNOWN_METHOD_PAYLOAD`] (or an empty payload if `reply` is too small for it).
pub fn dispatch_method<'t>(
    topic: &'t str,
    payload: &[u8],
    reply: &mut [u8],
    handlers: &mut [(&str, MethodHandler<'_>)],
) -> Result<MethodReply<'t>, TopicParseError> {
    let request = MethodRequest::parse(topic)?;
    let handler = handlers
        .iter_mut()
        .find(|(name, _)| *name == request.name)
        .map(|(_, handler)| handler);
    let (status, payload_len) = match handler {
        Some(handler) => {
            let result = handler(payload, reply);
            if result.payload_len <= reply.len() {
                (result.status, result.payload_len)
            } else {
                (HANDLER_OVERRUN_STATUS, 0)
            }
        }
        None => match reply.get_mut(..UNKNOWN_METHOD_PAYLOAD.len()) {
            Some(room) => {
                room.copy_from_slice(UNKNOWN_METHOD_PAYLOAD);
                (404, UNKNOWN_METHOD_PAYLOAD.len())
            }
            None => (404, 0),
        },
    };
    Ok(MethodReply {
        name: request.name,
        topic: request.reply_topic(status),
        payload_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn write(reply: &mut [u8], text: &[u8]) -> usize {
        reply[..text.len()].copy_from_slice(text);
        text.len()
    }

    #[test]
    fn the_named_handler_runs_and_its_status_goes_into_the_reply_topic() {
        let mut reboots = 0;
        let mut reboot = |_: &[u8], reply: &mut [u8]| {
            reboots += 1;
            MethodResult {
                status: 202,
                payload_len: write(reply, b"{}"),
            }
        };
        let mut echo = |payload: &[u8], reply: &mut [u8]| MethodResult {
            status: 200,
            payload_len: write(reply, payload),
        };
        let mut handlers: [(&str, MethodHandler<'_>); 2] =
            [("reboot", &mut reboot), ("echo", &mut echo)];
        let mut reply = [0u8; 64];

        let answer = dispatch_method(
            "$iothub/methods/POST/echo/?$rid=2a",
            b"{\"x\":1}",
            &mut reply,
            &mut handlers,
        )
        .unwrap();
        assert_eq!(answer.name, "echo");
        assert_eq!(answer.topic.to_string(), "$iothub/methods/res/200/?$rid=2a");
        assert_eq!(&reply[..answer.payload_len], b"{\"x\":1}");

        let answer = dispatch_method(
            "$iothub/methods/POST/reboot/?$rid=2b",
            b"",
            &mut reply,
            &mut handlers,
        )
        .unwrap();
        assert_eq!(answer.topic.to_string(), "$iothub/methods/res/202/?$rid=2b");
        drop(handlers);
        assert_eq!(reboots, 1);
    }

    #[test]
    fn an_unknown_method_gets_404_with_a_json_reason() {
        let mut reply = [0u8; 64];
        let answer = dispatch_method(
            "$iothub/methods/POST/nope/?$rid=1",
            b"",
            &mut reply,
            &mut [],
        )
        .unwrap();
        assert_eq!(answer.topic.to_string(), "$iothub/methods/res/404/?$rid=1");
        assert_eq!(&reply[..answer.payload_len], UNKNOWN_METHOD_PAYLOAD);

        let mut tiny = [0u8; 4];
        let answer =
            dispatch_method("$iothub/methods/POST/nope/?$rid=1", b"", &mut tiny, &mut []).unwrap();
        assert_eq!((answer.topic.status, answer.payload_len), (404, 0));
    }

    #[test]
    fn a_handler_that_overruns_its_buffer_is_answered_with_500() {
        let mut liar = |_: &[u8], _: &mut [u8]| MethodResult {
            status: 200,
            payload_len: 1000,
        };
        let mut handlers: [(&str, MethodHandler<'_>); 1] = [("liar", &mut liar)];
        let mut reply = [0u8; 8];
        let answer = dispatch_method(
            "$iothub/methods/POST/liar/?$rid=1",
            b"",
            &mut reply,
            &mut handlers,
        )
        .unwrap();
        assert_eq!((answer.topic.status, answer.payload_len), (500, 0));
    }

    #[test]
    fn a_malformed_topic_is_an_error_and_runs_nothing() {
        let mut reply = [0u8; 8];
        assert_eq!(
            dispatch_method("$iothub/methods/POST/x/?", b"", &mut reply, &mut []),
            Err(TopicParseError::MissingRequestId)
        );
    }
}
