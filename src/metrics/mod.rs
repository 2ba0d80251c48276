//! The Prometheus endpoint (`--metrics ADDR`): the series wsmon exports
//! (`families`: names, labels, buckets, a handle on every known series)
//! and the HTTP server that serves them (`server`). `session::MetricsOutput`
//! keeps the series up to date as events arrive; a scrape only encodes
//! them, so it never waits on the model or the screen, nor they on it.
//! Imports `close` (the label vocabulary) only: never the model, the
//! engine, a session or a view. docs/ARCHITECTURE.md, "Metrics".

mod families;
mod server;

pub use families::{ConnSeries, Exposition, Families, Format, Options, RECOVERY_BUCKETS, RTT_BUCKETS, code_label};
pub use server::{Bound, Serving, bind, notices, parse_addr};
