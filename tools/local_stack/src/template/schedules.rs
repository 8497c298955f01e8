//! The `ScheduleV2`/`Schedule` events of functions and state machines.

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::resolver::{yaml_key, Resolver};
use super::{ScheduleDef, ScheduleTarget};

/// The `ScheduleV2`/`Schedule` events of the resource `id`, all firing `target`.
pub(super) fn schedules(
    resolver: &Resolver,
    id: &str,
    events: Option<&Yaml>,
    target: &ScheduleTarget,
) -> Result<Vec<ScheduleDef>, String> {
    let mut schedules = Vec::new();
    for (event_name, event) in events.and_then(Yaml::as_mapping).into_iter().flatten() {
        let kind = event.get("Type").and_then(Yaml::as_str).unwrap_or_default();
        if kind != "ScheduleV2" && kind != "Schedule" {
            continue;
        }
        let name = format!("{id}.{}", yaml_key(event_name));
        let p = event.get("Properties");
        let get = |k: &str| {
            p.and_then(|p| p.get(k))
                .map(|v| resolver.resolve_str(v))
                .transpose()
        };
        let expression = get("ScheduleExpression")?
            .or(get("Schedule")?)
            .unwrap_or_default();
        let enabled = match (get("State")?, get("Enabled")?) {
            (Some(state), _) => state.eq_ignore_ascii_case("ENABLED"),
            (None, Some(enabled)) => enabled == "true",
            (None, None) => true,
        };
        let input = get("Input")?.unwrap_or_else(|| "{}".into());
        // Lambda takes only JSON payloads: say so now rather than at every tick.
        if let ScheduleTarget::Function(_) = target {
            serde_json::from_str::<Json>(&input)
                .map_err(|e| format!("{name}: Input is not JSON: {e}"))?;
        }
        schedules.push(ScheduleDef {
            name,
            target: target.clone(),
            expression,
            enabled,
            input,
        });
    }
    Ok(schedules)
}
