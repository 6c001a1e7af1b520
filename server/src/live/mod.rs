//! Live push: the hub that routes changes to viewers, and the wire protocol.

pub mod census;
pub mod hub;
pub mod protocol;
#[cfg(test)]
mod test_city;

pub use hub::{
    Closing, Event, Hub, HubConfig, Outbound, Reach, Subscription, ViewerHandle, ViewerId,
};
pub use protocol::{ClientMessage, Datum, FixIn, Layers};
