//! Telemetry (device-to-cloud) topics: `devices/{device}/messages/events/{property bag}`, or
//! `devices/{device}/modules/{module}/messages/events/{property bag}` for a module identity.

use core::fmt;

use crate::property_bag::PropertiesToSend;

/// Where to publish telemetry (QoS 0 or 1, never retained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelemetryTopic<'a> {
    /// The device id, as registered in the hub.
    pub device_id: &'a str,
    /// The module id, for a module identity.
    pub module_id: Option<&'a str>,
    /// Application and system properties (`$.ct`, `$.ce`, …) to put in the topic.
    pub properties: PropertiesToSend<'a>,
}

impl fmt::Display for TelemetryTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "devices/{}/", self.device_id)?;
        if let Some(module) = self.module_id {
            write!(f, "modules/{module}/")?;
        }
        // The trailing '/' stays even when there are no properties: the hub's documented form.
        write!(f, "messages/events/{}", self.properties)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn device_and_module_telemetry_topics() {
        let plain = TelemetryTopic {
            device_id: "dev-1",
            module_id: None,
            properties: PropertiesToSend(&[]),
        };
        assert_eq!(plain.to_string(), "devices/dev-1/messages/events/");
        let with_props = TelemetryTopic {
            device_id: "dev-1",
            module_id: Some("cam"),
            properties: PropertiesToSend(&[("$.ct", Some("application/json")), ("alert", None)]),
        };
        assert_eq!(
            with_props.to_string(),
            "devices/dev-1/modules/cam/messages/events/$.ct=application%2Fjson&alert"
        );
    }
}
