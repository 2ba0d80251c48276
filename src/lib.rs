//! wsmon: watch many WebSocket connections at once.
//!
//! Data flows one way: connection tasks (`engine`) emit `Event`s; a
//! `session` applies them to the `model`, logs them and hands them to its
//! outputs (the TUI, text lines, JSON Lines, the exit report, the series
//! `metrics` serves), which read the model. docs/ARCHITECTURE.md is the
//! whole plan.

pub mod catalogue;
pub mod cli;
pub mod close;
pub mod codes;
pub mod demo;
pub mod engine;
pub mod event;
pub mod failures;
pub mod follow;
pub mod format;
pub mod gates;
pub mod headless;
pub mod lang;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod paths;
pub mod profile;
pub mod recording;
pub mod replay;
pub mod report;
pub mod session;
pub mod shard;
pub mod text;
pub mod tui;
pub mod wire;
