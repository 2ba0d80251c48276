//! Which connections the table shows, in which order, and which one is
//! selected. Rebuilt only when an event or the user changed it, never per
//! frame.

use super::columns::Column;
use super::target::Target;
use crate::event::{ConnId, Event};
use crate::model::{Model, Shown};

#[derive(Debug, Clone)]
pub struct Rows {
    order: Vec<ConnId>,
    stale: bool,
    pub sort: Column,
    pub filter: String,
    /// A side-panel line chosen with Enter: only what it counts is shown.
    pub target: Option<Target>,
    pub selected: Option<ConnId>,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows { order: Vec::new(), stale: true, sort: Column::Name, filter: String::new(), target: None, selected: None }
    }
}

impl Rows {
    pub fn order(&self) -> &[ConnId] {
        &self.order
    }

    pub fn selected_index(&self) -> Option<usize> {
        let selected = self.selected?;
        self.order.iter().position(|id| *id == selected)
    }

    /// The order must be rebuilt before the next frame.
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Whether `event` can change the order or what the filter matches.
    pub fn note(&mut self, event: &Event) {
        let filtered = !self.filter.is_empty() || self.target.is_some();
        if self.sort.moved_by(&event.kind) || (filtered && !event.kind.is_measurement()) {
            self.stale = true;
        }
    }

    pub fn sort_by(&mut self, column: Column) {
        self.sort = column;
        self.stale = true;
    }

    pub fn set_target(&mut self, target: Option<Target>) {
        if self.target != target {
            self.target = target;
            self.stale = true;
        }
    }

    pub fn set_filter(&mut self, filter: String) {
        if self.filter != filter {
            self.filter = filter;
            self.stale = true;
        }
    }

    /// Bring the order up to date with `model`.
    pub fn refresh(&mut self, model: &Model) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let needle = self.filter.to_lowercase();
        let connections = model.connections();
        self.order.clear();
        let target = self.target;
        self.order.extend((0..connections.len() as u32).map(ConnId).filter(|id| {
            let conn = &connections[id.index()];
            conn.shown() != Shown::Removed
                && target.is_none_or(|target| target.matches(model, *id, conn))
                && (needle.is_empty()
                    || conn.name.to_lowercase().contains(&needle)
                    || conn.url.to_lowercase().contains(&needle)
                    || conn.shown().name().contains(&needle))
        }));
        let sort = self.sort;
        self.order.sort_by(|a, b| sort.compare(&connections[a.index()], &connections[b.index()]));
        if self.selected_index().is_none() {
            self.selected = self.order.first().copied();
        }
    }
}
