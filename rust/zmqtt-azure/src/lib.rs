#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod c2d;
pub mod correlation;
pub mod dps;
pub mod identity;
pub mod incoming;
pub mod method;
pub mod method_dispatch;
pub mod profile;
pub mod property_bag;
pub mod renewal;
#[cfg(feature = "rustcrypto")]
mod rustcrypto;
pub mod sas;
pub mod sas_crypto;
pub mod telemetry;
pub mod topic;
pub mod twin;
pub mod url_encode;

#[cfg(test)]
mod proptests;

pub use c2d::{C2dFilter, C2dMessage};
pub use correlation::{Completed, CorrelationError, Expired, PendingRequests, RequestKind};
pub use dps::{DpsPollTopic, DpsRegisterTopic, DpsResponse, DPS_RESPONSE_FILTER};
pub use identity::{DeviceIdentity, DpsIdentity};
pub use incoming::Incoming;
pub use method::{MethodRequest, MethodResponseTopic, METHODS_FILTER};
pub use method_dispatch::{dispatch_method, MethodHandler, MethodReply, MethodResult};
pub use profile::{AzureProfile, ConnectActions, ConnectionEvent, Subscription};
pub use property_bag::{PropertiesToSend, Property, PropertyBag, PropertyBagError};
pub use renewal::{RenewalError, RenewalPolicy, TokenRenewal};
#[cfg(feature = "rustcrypto")]
pub use rustcrypto::RustCrypto;
pub use sas::{derive_device_key, write_sas_token, SasError, SasResource};
pub use sas_crypto::{CryptoError, SasCrypto};
pub use telemetry::TelemetryTopic;
pub use topic::TopicParseError;
pub use twin::{
    DesiredPatch, TwinGetTopic, TwinReportTopic, TwinResponse, TWIN_DESIRED_FILTER,
    TWIN_RESPONSE_FILTER,
};
pub use url_encode::{UrlDecodeError, UrlEncoded};
