//! The incident clock (every second): warning levels re-read and their
//! changes pushed as alerts, and today's statistics pushed to whoever
//! watches them when anything changed.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use riskmap_engine::AreaTree;
use riskmap_engine::model::EpochMs;
use serde_json::json;

use super::super::App;
use crate::identity::Scope;
use crate::incident::IncidentView;
use crate::incident::machine;
use crate::incident::model::{Action, LogEntry};
use crate::incident::timing::Warning;
use crate::live::{Event, Reach};
use riskmap_wire::Layers;

impl App {
    /// One turn of the incident clock: re-reads every open incident's
    /// warning level and pushes the changes as alerts.
    pub fn incident_clock(&self, now: EpochMs) {
        let (changed, late_orders) = {
            let mut book = self.incidents.book.write();
            (book.rewarn(now), book.overdue_orders(now))
        };
        for id in late_orders {
            self.push_order_overdue(&id, now);
        }
        if changed.is_empty() {
            return;
        }
        self.incidents.changed.store(true, Ordering::Release);
        for (id, before, after) in changed {
            if after == Warning::Red {
                // Overdue weighs more in its grid's risk.
                self.risk_incident(&id, now);
            }
            let Some(view) = self.publish_incident(&id, now) else {
                continue;
            };
            if after == Warning::None {
                continue;
            }
            let title = format!(
                "{} {} {}",
                view.id,
                view.category_name.as_deref().unwrap_or_default(),
                match after {
                    Warning::Red => "已超时 overdue",
                    Warning::Yellow => "即将超时 due soon",
                    _ => "正常 on time",
                }
            );
            let text = json!({
                "type": "alert", "kind": "warning", "incident": id,
                "level": after, "previous": before,
                "at_ms": now, "title": title, "grid": view.grid,
            });
            self.push_incident_alert(&view.grid, &text);
        }
    }

    /// The command chain's alerts (三级联动): a 督办 order, its answer, and an
    /// escalation by the clock, pushed to the viewers of the incident's
    /// place (the owner's centre and every level above it).
    pub(in crate::app) fn push_chain_alert(&self, view: &IncidentView, entry: &LogEntry) {
        let by_clock = entry.action == Action::Escalate && entry.actor == machine::CLOCK_ACTOR;
        let (kind, what) = match entry.action {
            Action::Supervise => ("supervision", "督办 supervision order"),
            Action::AnswerSupervision => ("supervision_answered", "督办已回复 order answered"),
            _ if by_clock => ("escalated", "超时自动上报 escalated by the clock"),
            _ => return,
        };
        let title = format!(
            "{} {} {what}",
            view.id,
            view.category_name.as_deref().unwrap_or_default()
        );
        let text = json!({
            "type": "alert", "kind": kind, "incident": view.id,
            "at_ms": entry.at_ms, "title": title, "grid": view.grid,
            "area": view.area, "area_name": view.area_name,
            "due_ms": view.supervision.as_ref().map(|s| s.order.due_ms),
            "comment": entry.comment,
        });
        self.push_incident_alert(&view.grid, &text);
    }

    /// 督办逾期: an order's due time passed unanswered, pushed once to the
    /// viewers of the incident's place (the owner and the issuer above it).
    fn push_order_overdue(&self, id: &str, now: EpochMs) {
        let engine = self.engine.read();
        let view = {
            let book = self.incidents.book.read();
            let Some(e) = book.get(id) else { return };
            self.incidents.view(&engine, e, now)
        };
        drop(engine);
        let title = format!(
            "{} {} 督办逾期 supervision order overdue",
            view.id,
            view.category_name.as_deref().unwrap_or_default()
        );
        let text = json!({
            "type": "alert", "kind": "supervision_overdue", "incident": view.id,
            "at_ms": now, "title": title, "grid": view.grid,
            "area": view.area, "area_name": view.area_name,
            "due_ms": view.supervision.as_ref().map(|s| s.order.due_ms),
            "comment": view.supervision.as_ref().map(|s| s.order.order.clone()),
        });
        self.push_incident_alert(&view.grid, &text);
    }

    /// Pushes an incident's alert to the `alerts` viewers of its grid.
    fn push_incident_alert(&self, grid: &str, text: &serde_json::Value) {
        let engine = self.engine.read();
        if let Some(g) = engine.areas().idx(grid) {
            self.hub.publish(Event {
                text: text.to_string().into(),
                layer: Layers::ALERTS,
                reach: Reach::of(Some(g), engine.areas()),
                at: None,
            });
        }
    }

    /// Pushes today's statistics to every `stats` subscriber, if anything
    /// changed since the last push.
    pub fn push_incident_stats(&self, now: EpochMs) {
        if !self.incidents.take_changed() {
            return;
        }
        let subs = self.hub.subscribers(Layers::STATS);
        if subs.is_empty() {
            return;
        }
        // The tree is shared: fixes need not wait for the engine's write
        // while the figures are counted.
        let tree = self.engine.read().areas_shared();
        let tree = &*tree;
        let from = self.incidents.dictionary().calendar().day_start(now);
        let mut cache: Vec<(Scope, Arc<str>)> = Vec::new();
        // A scope read from a tree an import has replaced is skipped: the
        // next tick resyncs that viewer.
        let current = subs
            .into_iter()
            .filter(|(_, sub)| sub.tree == tree.generation());
        for (viewer, sub) in current {
            let text = if let Some((_, t)) = cache.iter().find(|(s, _)| *s == sub.scope) {
                t.clone()
            } else {
                let t: Arc<str> = self.stats_message(sub.scope, tree, from).into();
                cache.push((sub.scope, t.clone()));
                t
            };
            self.hub.send_to(viewer, text);
        }
    }

    /// The `stats` message for a scope: the figures since `from`.
    #[must_use]
    pub fn stats_message(&self, scope: Scope, tree: &AreaTree, from: EpochMs) -> String {
        let s = self.incidents.stats(scope, tree, Some(from), None);
        let area = scope.root_in(tree).map(|r| tree.get(r).code.clone());
        json!({ "type": "stats", "area": area, "from_ms": from, "stats": s }).to_string()
    }
}
