//! The Azure IoT Hub profile: the limits the hub imposes and what to do on each connect.
//!
//! IoT Hub speaks MQTT 3.1.1 with limits of its own: QoS 0 and 1 only (a QoS 2 PUBLISH closes
//! the connection; QoS 2 subscriptions are granted QoS 1), no retained messages, keep-alive at
//! most 1177 seconds, messages up to 256 KB. [`AzureProfile`] applies them to what the
//! application asks for.
//!
//! **The reconnect rule.** Desired property patches are sent only to a connected device, so
//! whatever changed while it was offline is learnt by reading the whole twin. Therefore after
//! *every* successful CONNECT (the first one and each reconnect, including a reconnect made only
//! to renew the SAS token) the device subscribes to twin answers, desired patches, direct methods
//! and cloud-to-device messages, then GETs the twin. When the connection is lost, requests still
//! waiting for an answer are given up: the hub answers on the connection a request came in on.
//! [`AzureProfile::on_event`] returns these actions; it is sans-IO and needs no client.

use core::fmt;

use zmqtt::codec::QoS;

use crate::c2d::C2dFilter;
use crate::identity::DeviceIdentity;
use crate::method::METHODS_FILTER;
use crate::twin::{TWIN_DESIRED_FILTER, TWIN_RESPONSE_FILTER};

/// The highest QoS IoT Hub accepts.
pub const MAX_QOS: QoS = QoS::AtLeastOnce;

/// The longest keep-alive IoT Hub accepts, in seconds.
pub const MAX_KEEP_ALIVE_SECS: u16 = 1177;

/// The largest message IoT Hub accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// One of the subscriptions a device makes on connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription<'a> {
    /// `$iothub/twin/res/#`: answers to twin GET and PATCH.
    TwinResponses,
    /// `$iothub/twin/PATCH/properties/desired/#`: desired property patches.
    DesiredPatches,
    /// `$iothub/methods/POST/#`: direct method requests.
    Methods,
    /// `devices/{device}/messages/devicebound/#`: cloud-to-device messages.
    CloudToDevice(C2dFilter<'a>),
}

impl Subscription<'_> {
    /// The QoS to subscribe with: 1 for all, so that nothing the hub sends is lost between the
    /// hub and the client's acknowledgement (the hub grants at most 1 anyway).
    pub fn qos(&self) -> QoS {
        MAX_QOS
    }
}

/// The topic filter, when displayed.
impl fmt::Display for Subscription<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subscription::TwinResponses => f.write_str(TWIN_RESPONSE_FILTER),
            Subscription::DesiredPatches => f.write_str(TWIN_DESIRED_FILTER),
            Subscription::Methods => f.write_str(METHODS_FILTER),
            Subscription::CloudToDevice(filter) => filter.fmt(f),
        }
    }
}

/// What happened to the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// CONNACK accepted the connection (first connect or any reconnect).
    Connected {
        /// The CONNACK's session present flag. The actions do not depend on it: subscribing
        /// again is harmless, and a missed desired patch is lost whatever the session held.
        session_present: bool,
    },
    /// The connection is gone (closed by either side, token expiry, or a broken link).
    Disconnected,
}

/// What the device must do after a [`ConnectionEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectActions<'a> {
    /// Subscriptions to make, in this order (empty after a disconnect).
    pub subscribe: &'a [Subscription<'a>],
    /// GET the twin once the subscriptions are made (its answer comes on
    /// [`Subscription::TwinResponses`]).
    pub get_twin: bool,
    /// Give up the requests still waiting for an answer
    /// ([`crate::correlation::PendingRequests::cancel_all`]).
    pub cancel_pending_requests: bool,
}

/// The Azure IoT Hub profile for one device identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AzureProfile<'a> {
    identity: DeviceIdentity<'a>,
    keep_alive_secs: u16,
    subscriptions: [Subscription<'a>; 4],
}

impl<'a> AzureProfile<'a> {
    /// The profile for `identity`, with the application's keep-alive clamped to what the hub
    /// accepts ([`AzureProfile::clamp_keep_alive`]).
    pub fn new(identity: DeviceIdentity<'a>, keep_alive_secs: u16) -> Self {
        AzureProfile {
            identity,
            keep_alive_secs: Self::clamp_keep_alive(keep_alive_secs),
            subscriptions: [
                Subscription::TwinResponses,
                Subscription::DesiredPatches,
                Subscription::Methods,
                Subscription::CloudToDevice(C2dFilter {
                    device_id: identity.device_id,
                }),
            ],
        }
    }

    /// The identity the profile is for.
    pub fn identity(&self) -> &DeviceIdentity<'a> {
        &self.identity
    }

    /// The keep-alive to put in CONNECT, in seconds.
    pub fn keep_alive_secs(&self) -> u16 {
        self.keep_alive_secs
    }

    /// At most [`MAX_KEEP_ALIVE_SECS`]. Zero (no keep-alive) also becomes the maximum: the hub
    /// drops a silent connection, and a device without pings would not notice a dead link.
    pub const fn clamp_keep_alive(secs: u16) -> u16 {
        if secs == 0 || secs > MAX_KEEP_ALIVE_SECS {
            MAX_KEEP_ALIVE_SECS
        } else {
            secs
        }
    }

    /// `qos`, lowered to QoS 1 if it is 2.
    pub fn clamp_qos(qos: QoS) -> QoS {
        match qos {
            QoS::ExactlyOnce => MAX_QOS,
            other => other,
        }
    }

    /// Whether a PUBLISH may set the retain flag: never.
    pub const fn retain_allowed(&self) -> bool {
        false
    }

    /// The subscriptions made on every connect.
    pub fn subscriptions(&self) -> &[Subscription<'a>] {
        &self.subscriptions
    }

    /// The actions for `event` (see the module doc's reconnect rule).
    pub fn on_event(&self, event: ConnectionEvent) -> ConnectActions<'_> {
        match event {
            ConnectionEvent::Connected { .. } => ConnectActions {
                subscribe: &self.subscriptions,
                get_twin: true,
                cancel_pending_requests: false,
            },
            ConnectionEvent::Disconnected => ConnectActions {
                subscribe: &[],
                get_twin: false,
                cancel_pending_requests: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn profile() -> AzureProfile<'static> {
        AzureProfile::new(DeviceIdentity::device("hub.azure-devices.net", "dev-1"), 60)
    }

    #[test]
    fn keep_alive_is_clamped_to_1177_and_zero_becomes_the_maximum() {
        assert_eq!(profile().keep_alive_secs(), 60);
        let id = DeviceIdentity::device("h", "d");
        assert_eq!(AzureProfile::new(id, 1177).keep_alive_secs(), 1177);
        assert_eq!(AzureProfile::new(id, 1178).keep_alive_secs(), 1177);
        assert_eq!(AzureProfile::new(id, u16::MAX).keep_alive_secs(), 1177);
        assert_eq!(AzureProfile::new(id, 0).keep_alive_secs(), 1177);
    }

    #[test]
    fn qos_2_becomes_1_and_retain_is_never_allowed() {
        assert_eq!(AzureProfile::clamp_qos(QoS::ExactlyOnce), QoS::AtLeastOnce);
        assert_eq!(AzureProfile::clamp_qos(QoS::AtLeastOnce), QoS::AtLeastOnce);
        assert_eq!(AzureProfile::clamp_qos(QoS::AtMostOnce), QoS::AtMostOnce);
        assert!(!profile().retain_allowed());
    }

    #[test]
    fn every_connect_subscribes_to_the_four_filters_then_gets_the_twin() {
        let profile = profile();
        for session_present in [false, true] {
            let actions = profile.on_event(ConnectionEvent::Connected { session_present });
            let filters: Vec<String> = actions.subscribe.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                filters,
                [
                    "$iothub/twin/res/#",
                    "$iothub/twin/PATCH/properties/desired/#",
                    "$iothub/methods/POST/#",
                    "devices/dev-1/messages/devicebound/#",
                ]
            );
            assert!(actions
                .subscribe
                .iter()
                .all(|s| s.qos() == QoS::AtLeastOnce));
            assert!(actions.get_twin);
            assert!(!actions.cancel_pending_requests);
        }
    }

    #[test]
    fn a_disconnect_gives_up_pending_requests_and_subscribes_nothing() {
        let profile = profile();
        let actions = profile.on_event(ConnectionEvent::Disconnected);
        assert!(actions.subscribe.is_empty());
        assert!(!actions.get_twin);
        assert!(actions.cancel_pending_requests);
    }

    #[test]
    fn the_filters_are_valid_mqtt_topic_filters() {
        // Checked by the client codec's own validator, not by this crate.
        for subscription in profile().subscriptions() {
            let filter = subscription.to_string();
            assert!(zmqtt::codec::TopicFilter::new(&filter).is_ok(), "{filter}");
        }
        assert!(zmqtt::codec::TopicFilter::new(crate::dps::DPS_RESPONSE_FILTER).is_ok());
        // And the topics the device publishes are valid topic names (no wildcards).
        let published = [
            crate::twin::TwinGetTopic { rid: 1 }.to_string(),
            crate::twin::TwinReportTopic { rid: 2 }.to_string(),
            crate::dps::DpsRegisterTopic { rid: 3 }.to_string(),
            crate::dps::DpsPollTopic {
                rid: 4,
                operation_id: "op/#+",
            }
            .to_string(),
            crate::method::MethodResponseTopic {
                status: 200,
                rid: "5",
            }
            .to_string(),
            crate::telemetry::TelemetryTopic {
                device_id: "dev-1",
                module_id: None,
                properties: crate::property_bag::PropertiesToSend(&[("k#", Some("v+"))]),
            }
            .to_string(),
        ];
        for topic in published {
            assert!(zmqtt::codec::TopicName::new(&topic).is_ok(), "{topic}");
        }
    }
}
