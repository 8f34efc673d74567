#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod fota;
mod offer;
mod status;
mod target;
mod text;
mod topic;

pub use fota::{Action, ChunkError, Config, Counters, Fota, ACTION_BUF_MIN};
pub use offer::{Offer, OfferError, Version, VERSION_MAX};
pub use status::{FailReason, Status};
pub use target::{FlashTarget, Progress, TargetError, PROGRESS_LEN};
pub use topic::{Incoming, OutTopic};
