//! Who the device is to IoT Hub and to DPS: the CONNECT client id and user name, and the resource
//! its SAS token is signed for.
//!
//! IoT Hub: client id `{device}` (`{device}/{module}` for a module identity), user name
//! `{hub host}/{device}/?api-version=2021-04-12` (`{hub host}/{device}/{module}/?api-version=…`).
//! DPS: client id `{registration id}`, user name
//! `{id scope}/registrations/{registration id}/api-version=2019-03-31`.

use core::fmt;

use crate::sas::SasResource;

/// The IoT Hub MQTT API version this crate speaks.
pub const HUB_API_VERSION: &str = "2021-04-12";

/// The DPS MQTT API version this crate speaks.
pub const DPS_API_VERSION: &str = "2019-03-31";

/// A device (or module) identity in an IoT hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdentity<'a> {
    /// The hub's host name, e.g. `myhub.azure-devices.net`.
    pub hub_host: &'a str,
    /// The device id.
    pub device_id: &'a str,
    /// The module id, for a module identity.
    pub module_id: Option<&'a str>,
}

impl<'a> DeviceIdentity<'a> {
    /// A device identity.
    pub const fn device(hub_host: &'a str, device_id: &'a str) -> Self {
        DeviceIdentity {
            hub_host,
            device_id,
            module_id: None,
        }
    }

    /// A module identity of a device.
    pub const fn module(hub_host: &'a str, device_id: &'a str, module_id: &'a str) -> Self {
        DeviceIdentity {
            hub_host,
            device_id,
            module_id: Some(module_id),
        }
    }

    /// The CONNECT client id.
    pub fn client_id(&self) -> ClientId<'a> {
        ClientId(*self)
    }

    /// The CONNECT user name.
    pub fn user_name(&self) -> HubUserName<'a> {
        HubUserName(*self)
    }

    /// What the SAS token for this identity is signed over.
    pub fn sas_resource(&self) -> SasResource<'a> {
        match self.module_id {
            None => SasResource::Device {
                hub_host: self.hub_host,
                device_id: self.device_id,
            },
            Some(module_id) => SasResource::Module {
                hub_host: self.hub_host,
                device_id: self.device_id,
                module_id,
            },
        }
    }
}

/// `{device}` or `{device}/{module}`, when displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientId<'a>(DeviceIdentity<'a>);

impl fmt::Display for ClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.device_id)?;
        match self.0.module_id {
            Some(module) => write!(f, "/{module}"),
            None => Ok(()),
        }
    }
}

/// `{hub host}/{device}[/{module}]/?api-version=2021-04-12`, when displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubUserName<'a>(DeviceIdentity<'a>);

impl fmt::Display for HubUserName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/?api-version={HUB_API_VERSION}",
            self.0.hub_host,
            self.0.client_id()
        )
    }
}

/// A registration with the Device Provisioning Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpsIdentity<'a> {
    /// The DPS instance's id scope, e.g. `0ne00000A0A`.
    pub id_scope: &'a str,
    /// The registration id (becomes the device id).
    pub registration_id: &'a str,
}

impl<'a> DpsIdentity<'a> {
    /// The CONNECT client id: the registration id.
    pub fn client_id(&self) -> &'a str {
        self.registration_id
    }

    /// The CONNECT user name.
    pub fn user_name(&self) -> DpsUserName<'a> {
        DpsUserName(*self)
    }

    /// What the SAS token for this registration is signed over (with `skn=registration`).
    pub fn sas_resource(&self) -> SasResource<'a> {
        SasResource::Registration {
            id_scope: self.id_scope,
            registration_id: self.registration_id,
        }
    }
}

/// `{id scope}/registrations/{registration id}/api-version=2019-03-31`, when displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpsUserName<'a>(DpsIdentity<'a>);

impl fmt::Display for DpsUserName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/registrations/{}/api-version={DPS_API_VERSION}",
            self.0.id_scope, self.0.registration_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn device_identity_connect_fields() {
        let id = DeviceIdentity::device("hub.azure-devices.net", "dev-1");
        assert_eq!(id.client_id().to_string(), "dev-1");
        assert_eq!(
            id.user_name().to_string(),
            "hub.azure-devices.net/dev-1/?api-version=2021-04-12"
        );
        assert_eq!(
            id.sas_resource().to_string(),
            "hub.azure-devices.net/devices/dev-1"
        );
    }

    #[test]
    fn module_identity_connect_fields() {
        let id = DeviceIdentity::module("hub.azure-devices.net", "dev-1", "cam");
        assert_eq!(id.client_id().to_string(), "dev-1/cam");
        assert_eq!(
            id.user_name().to_string(),
            "hub.azure-devices.net/dev-1/cam/?api-version=2021-04-12"
        );
        assert_eq!(
            id.sas_resource().to_string(),
            "hub.azure-devices.net/devices/dev-1/modules/cam"
        );
    }

    #[test]
    fn dps_identity_connect_fields() {
        let id = DpsIdentity {
            id_scope: "0ne00000A0A",
            registration_id: "dev-1",
        };
        assert_eq!(id.client_id(), "dev-1");
        assert_eq!(
            id.user_name().to_string(),
            "0ne00000A0A/registrations/dev-1/api-version=2019-03-31"
        );
        assert_eq!(
            id.sas_resource().to_string(),
            "0ne00000A0A/registrations/dev-1"
        );
        assert_eq!(id.sas_resource().key_name(), Some("registration"));
    }
}
