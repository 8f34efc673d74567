//! CONNECT: MQTT 3.1.1 §3.1, MQTT 5.0 §3.1.
//!
//! Variable header: protocol name "MQTT", protocol level (4 or 5), connect flags, keep alive,
//! then (5.0) properties. Payload, in this order and each only if its flag says so: client
//! identifier, (5.0) will properties, will topic, will payload, user name, password.

use super::cursor::{field_len, Reader, Writer};
use super::error::{DecodeError, EncodeError, V5Only};
use super::properties::{Context, Properties};
use super::topic::validate_topic_name;
use super::{ProtocolVersion, QoS};

/// The protocol name of §3.1.2.1; MQTT 3.1's "MQIsdp" is not supported.
const PROTOCOL_NAME: &[u8] = b"MQTT";

mod flag {
    pub const RESERVED: u8 = 0x01;
    pub const CLEAN_START: u8 = 0x02;
    pub const WILL: u8 = 0x04;
    pub const WILL_QOS_SHIFT: u8 = 3;
    pub const WILL_RETAIN: u8 = 0x20;
    pub const PASSWORD: u8 = 0x40;
    pub const USERNAME: u8 = 0x80;
}

/// The Will Message of a CONNECT (§3.1.2.5, §3.1.3.2 to §3.1.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// Topic the will is published to (a topic name: no wildcards).
    pub topic: &'a str,
    /// Application message of the will, at most 65,535 bytes.
    pub payload: &'a [u8],
    /// QoS of the will.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// Will properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

/// A CONNECT packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Client identifier; may be empty (the server then assigns one, or refuses).
    pub client_id: &'a str,
    /// Keep alive in seconds; 0 turns keep alive off.
    pub keep_alive: u16,
    /// Clean Session (3.1.1) / Clean Start (5.0).
    pub clean_start: bool,
    /// User name.
    pub username: Option<&'a str>,
    /// Password (binary data). MQTT 3.1.1 needs a user name with it.
    pub password: Option<&'a [u8]>,
    /// The Will Message.
    pub will: Option<Will<'a>>,
    /// CONNECT properties (5.0 only; must be empty for 3.1.1).
    pub properties: Properties<'a>,
}

impl<'a> Repr<'a> {
    pub(crate) fn parse(body: &'a [u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        if r.binary()? != PROTOCOL_NAME {
            return Err(DecodeError::ProtocolName);
        }
        if r.u8()? != version.level() {
            return Err(DecodeError::UnsupportedProtocolVersion);
        }
        let flags = r.u8()?;
        let has_will = flags & flag::WILL != 0;
        let will_qos = (flags >> flag::WILL_QOS_SHIFT) & 0x03;
        let will_retain = flags & flag::WILL_RETAIN != 0;
        let has_password = flags & flag::PASSWORD != 0;
        let has_username = flags & flag::USERNAME != 0;
        // §3.1.2.3: the reserved bit is 0. §3.1.2.6/§3.1.2.7: no Will QoS or Retain without a Will.
        if flags & flag::RESERVED != 0 || (!has_will && (will_qos != 0 || will_retain)) {
            return Err(DecodeError::ConnectFlags);
        }
        // §3.1.2.9 (3.1.1 only; 5.0 allows a password alone, e.g. for token authentication).
        if version == ProtocolVersion::V3_1_1 && has_password && !has_username {
            return Err(DecodeError::ConnectFlags);
        }
        let will_qos = QoS::try_from(will_qos)?;
        let keep_alive = r.u16()?;
        let properties = match version {
            ProtocolVersion::V5 => Properties::parse(&mut r, Context::Connect)?,
            ProtocolVersion::V3_1_1 => Properties::EMPTY,
        };
        let client_id = r.string()?;
        let will = if has_will {
            let properties = match version {
                ProtocolVersion::V5 => Properties::parse(&mut r, Context::Will)?,
                ProtocolVersion::V3_1_1 => Properties::EMPTY,
            };
            let topic = r.string()?;
            validate_topic_name(topic).map_err(DecodeError::Topic)?;
            let payload = r.binary()?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = if has_username {
            Some(r.string()?)
        } else {
            None
        };
        let password = if has_password {
            Some(r.binary()?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            client_id,
            keep_alive,
            clean_start: flags & flag::CLEAN_START != 0,
            username,
            password,
            will,
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> usize {
        let v5 = version == ProtocolVersion::V5;
        // Protocol name (2 + 4), level, flags, keep alive.
        let mut n = field_len(PROTOCOL_NAME.len()) + 4;
        if v5 {
            n = n.saturating_add(self.properties.wire_len());
        }
        n = n.saturating_add(field_len(self.client_id.len()));
        if let Some(will) = &self.will {
            if v5 {
                n = n.saturating_add(will.properties.wire_len());
            }
            n = n
                .saturating_add(field_len(will.topic.len()))
                .saturating_add(field_len(will.payload.len()));
        }
        if let Some(u) = self.username {
            n = n.saturating_add(field_len(u.len()));
        }
        if let Some(p) = self.password {
            n = n.saturating_add(field_len(p.len()));
        }
        n
    }

    pub(crate) fn emit_body(
        &self,
        version: ProtocolVersion,
        w: &mut Writer<'_>,
    ) -> Result<(), EncodeError> {
        let v5 = version == ProtocolVersion::V5;
        if !v5 {
            let will_props = self.will.is_some_and(|will| !will.properties.is_empty());
            if !self.properties.is_empty() || will_props {
                return Err(EncodeError::NotInV3_1_1(V5Only::Properties));
            }
            if self.password.is_some() && self.username.is_none() {
                return Err(EncodeError::NotInV3_1_1(V5Only::PasswordWithoutUsername));
            }
        }
        let mut flags = 0;
        if self.clean_start {
            flags |= flag::CLEAN_START;
        }
        if let Some(will) = &self.will {
            validate_topic_name(will.topic).map_err(EncodeError::Topic)?;
            flags |= flag::WILL | (will.qos as u8) << flag::WILL_QOS_SHIFT;
            if will.retain {
                flags |= flag::WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= flag::USERNAME;
        }
        if self.password.is_some() {
            flags |= flag::PASSWORD;
        }
        w.binary(PROTOCOL_NAME)?;
        w.u8(version.level())?;
        w.u8(flags)?;
        w.u16(self.keep_alive)?;
        if v5 {
            self.properties.emit(w, Context::Connect)?;
        }
        w.string(self.client_id)?;
        if let Some(will) = &self.will {
            if v5 {
                will.properties.emit(w, Context::Will)?;
            }
            w.string(will.topic)?;
            w.binary(will.payload)?;
        }
        if let Some(u) = self.username {
            w.string(u)?;
        }
        if let Some(p) = self.password {
            w.binary(p)?;
        }
        Ok(())
    }
}
