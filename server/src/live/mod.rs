//! Live push: the hub that routes changes to viewers, and the views it sends
//! (what clients send is riskmap-wire's).

pub mod census;
pub mod hub;
pub mod protocol;
pub mod reach;
#[cfg(test)]
pub(crate) mod test_city;

pub use hub::{Closing, Event, Hub, HubConfig, Outbound, Subscription, ViewerHandle, ViewerId};
pub use reach::Reach;
