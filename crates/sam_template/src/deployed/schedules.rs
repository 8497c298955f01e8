//! The `ScheduleV2`/`Schedule` events of functions and state machines.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::error::At;
use crate::function::events;
use crate::resolver::Resolver;
use crate::{Error, Result};

/// What a schedule starts when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleTarget {
    /// An execution of the state machine with this name.
    StateMachine(String),
    /// An invocation of the function with this name.
    Function(String),
}

impl std::fmt::Display for ScheduleTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScheduleTarget::StateMachine(name) => write!(f, "state machine {name}"),
            ScheduleTarget::Function(name) => write!(f, "function {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDef {
    /// `<LogicalId>.<EventName>` of the state machine or function declaring it.
    pub name: String,
    pub target: ScheduleTarget,
    pub expression: String,
    pub enabled: bool,
    /// The execution input or the function's event, as EventBridge Scheduler passes it: the
    /// event's `Input`, `{}` without one.
    pub input: String,
}

/// The `ScheduleV2`/`Schedule` events of the resource `id`, all firing `target`.
pub(super) fn schedules(
    resolver: &Resolver,
    id: &str,
    events_field: Option<&Yaml>,
    target: &ScheduleTarget,
) -> Result<Vec<ScheduleDef>> {
    let mut schedules = Vec::new();
    for (event_name, kind, event) in events(events_field) {
        if kind != "ScheduleV2" && kind != "Schedule" {
            continue;
        }
        let field = |k: &str| format!("Events.{event_name}.Properties.{k}");
        let p = event.get("Properties");
        let get = |k: &str| {
            let value = p.and_then(|p| p.get(k)).map(|v| resolver.resolve_str(v));
            value.transpose().at(id, &field(k))
        };
        let expression = get("ScheduleExpression")?.or(get("Schedule")?);
        let problem = "missing (ScheduleExpression, or Schedule for a Schedule event)";
        let expression =
            expression.ok_or_else(|| Error::field(id, &field("ScheduleExpression"), problem))?;
        let enabled = match (get("State")?, get("Enabled")?) {
            (Some(state), _) => state.eq_ignore_ascii_case("ENABLED"),
            (None, Some(enabled)) => enabled == "true",
            (None, None) => true,
        };
        let input = get("Input")?.unwrap_or_else(|| "{}".into());
        // Lambda takes only JSON payloads: say so now rather than at every tick.
        if let ScheduleTarget::Function(_) = target {
            serde_json::from_str::<Json>(&input)
                .map_err(|e| Error::field(id, &field("Input"), format!("not JSON: {e}")))?;
        }
        schedules.push(ScheduleDef {
            name: format!("{id}.{event_name}"),
            target: target.clone(),
            expression,
            enabled,
            input,
        });
    }
    Ok(schedules)
}
