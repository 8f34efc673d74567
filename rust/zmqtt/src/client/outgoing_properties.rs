//! The MQTT 5.0 properties an application may put on a message it publishes (§3.3.2.3), checked
//! when `publish` accepts the message: later the properties are only bytes in the store, sent
//! again as they are after a reconnect, so a bad one must never get that far.

use super::error::PublishError;
use super::forbidden_chars::has_forbidden_char;
use crate::codec::{property_id as id, MqttStr, Properties, Property, TopicName};

/// Checks `properties` for a PUBLISH the client sends with `payload`: only Payload Format
/// Indicator (0 or 1, and with 1 a UTF-8 payload, §3.3.2.3.2), Message Expiry Interval, Content
/// Type, Response Topic (a topic name: no wildcards, §3.3.2.3.5), Correlation Data and User
/// Properties; each at most once but User Property; strings without U+0000 and without the
/// characters brokers may treat as malformed (see `forbidden_chars`).
///
/// Topic Alias is the engine's (it assigns them) and Subscription Identifier a client must not
/// send (§3.3.4); both, like every other property, are [`PublishError::InvalidProperty`].
pub(crate) fn check(properties: &Properties<'_>, payload: &[u8]) -> Result<(), PublishError> {
    let mut seen = 0u64;
    for p in properties.iter() {
        let pid = p.id();
        if seen & (1 << pid) != 0 && pid != id::USER_PROPERTY {
            return Err(PublishError::InvalidProperty);
        }
        seen |= 1 << pid;
        match p {
            Property::PayloadFormatIndicator(0) | Property::MessageExpiryInterval(_) => {}
            Property::PayloadFormatIndicator(1) => {
                if core::str::from_utf8(payload).is_err() {
                    return Err(PublishError::PayloadNotUtf8);
                }
            }
            Property::ContentType(s) => check_text(s)?,
            Property::ResponseTopic(s) => {
                TopicName::new(s).map_err(PublishError::InvalidResponseTopic)?;
                check_text(s)?;
            }
            Property::CorrelationData(d) if d.len() <= usize::from(u16::MAX) => {}
            Property::UserProperty(k, v) => {
                check_text(k)?;
                check_text(v)?;
            }
            _ => return Err(PublishError::InvalidProperty),
        }
    }
    Ok(())
}

/// The rules of an MQTT string the application gave (§1.5.4, the codec's [`MqttStr`]) and of
/// `forbidden_chars`.
fn check_text(s: &str) -> Result<(), PublishError> {
    MqttStr::new(s).map_err(|_| PublishError::InvalidPropertyString)?;
    if has_forbidden_char(s) {
        return Err(PublishError::ForbiddenCharacter);
    }
    Ok(())
}
