//! `wsmon demo`: a local fleet inside the process, on 127.0.0.1 ephemeral
//! ports, playing a scripted rolling deployment, so wsmon shows its real
//! job on a machine with no server of the user's. The TUI and `watch` see
//! ordinary connections: nothing in the engine knows it is a demo.
//!
//! * K services × N connections; every ~30 s a rolling deployment restarts
//!   them in turn (1012, down 1–3 s, back).
//! * `broken-proxy`: a relay that now and then slips in a masked frame, a
//!   reserved opcode or reserved bits (1002 and its cause).
//! * `overloaded`: sheds load with 1013, also to reconnects for a while.
//! * `flaky-tcp`: drops TCP with no close frame (1006).

mod proxy;
pub mod script;
mod server;

use std::io;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::engine::{ConnOptions, ConnSpec};
use proxy::Proxy;
use script::{Action, Script};
use server::Server;

const DEMO_PING_INTERVAL: Duration = Duration::from_secs(5);
const SERVICE_NAMES: [&str; 8] = ["api", "feed", "chat", "auth", "search", "billing", "media", "notify"];

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub services: usize,
    /// Connections per service.
    pub connections: usize,
    pub seed: u64,
    /// Every script time and reconnect delay is divided by this (tests run
    /// the demo fast).
    pub speed: f64,
    /// Stop deploying after this many (the fleet keeps misbehaving).
    pub deployments: Option<u32>,
}

/// The running fleet; dropping it stops the script and the servers.
pub struct Fleet {
    pub specs: Vec<ConnSpec>,
    player: JoinHandle<()>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.player.abort();
    }
}

impl Fleet {
    pub async fn start(options: &DemoOptions) -> io::Result<Fleet> {
        let defaults = ConnOptions::default();
        let connection = ConnOptions {
            delay_divisor: options.speed,
            stability_window: defaults.stability_window.div_f64(options.speed),
            // Round-trip times on screen within seconds of the start.
            ping_interval: Some(DEMO_PING_INTERVAL),
            // The fleet is in this process: a proxy in the environment has no part in it.
            proxy: Some(std::sync::Arc::new(crate::engine::proxy::Proxy::Direct)),
            ..defaults
        };
        let connection = std::sync::Arc::new(connection);
        let spec = |name: String, url: String| ConnSpec {
            name,
            url: url::Url::parse(&url).expect("demo URLs are well formed"),
            options: std::sync::Arc::clone(&connection),
        };
        let mut specs = Vec::new();
        let mut services = Vec::new();
        for index in 0..options.services {
            let server = Server::start().await?;
            let service = service_name(index);
            for n in 1..=options.connections {
                specs.push(spec(format!("{service}-{n}"), format!("ws://{}/{service}/stream", server.address)));
            }
            services.push(server);
        }
        let backend = Server::start().await?;
        let proxy = Proxy::start(backend.address).await?;
        let overloaded = Server::start().await?;
        let flaky = Server::start().await?;
        specs.push(spec("broken-proxy".into(), format!("ws://{}/quotes", proxy.address)));
        specs.push(spec("overloaded".into(), format!("ws://{}/search", overloaded.address)));
        specs.push(spec("flaky-tcp".into(), format!("ws://{}/ingest", flaky.address)));
        let stage = Stage { services, _backend: backend, proxy, overloaded, flaky, speed: options.speed };
        let script = Script::new(options.seed, options.services, options.deployments);
        let player = tokio::spawn(stage.play(script));
        Ok(Fleet { specs, player })
    }
}

fn service_name(index: usize) -> String {
    match SERVICE_NAMES.get(index) {
        Some(name) => name.to_string(),
        None => format!("svc{}", index + 1),
    }
}

/// Everything the script acts on.
struct Stage {
    services: Vec<Server>,
    /// The healthy service behind the broken proxy.
    _backend: Server,
    proxy: Proxy,
    overloaded: Server,
    flaky: Server,
    speed: f64,
}

impl Stage {
    async fn play(self, mut script: Script) {
        let start = Instant::now();
        loop {
            for step in script.next_cycle() {
                tokio::time::sleep_until(start + self.scaled(step.at_ms)).await;
                self.perform(step.action);
            }
        }
    }

    fn perform(&self, action: Action) {
        match action {
            Action::Restart { service, down_ms, version } => {
                self.services[service].restart(self.scaled(down_ms), format!("rolling deploy v{version}"));
            }
            Action::Violate(violation) => self.proxy.violate(violation),
            Action::Overload { for_ms } => self.overloaded.overload(self.scaled(for_ms)),
            Action::Drop => self.flaky.drop_connections(),
        }
    }

    fn scaled(&self, ms: u64) -> Duration {
        Duration::from_millis(ms).div_f64(self.speed)
    }
}
