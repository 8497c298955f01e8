//! The schema list (`schemas::functions()`, written by hand) names exactly the functions a
//! workflow or a schedule invokes, as the function catalog declares them: a function added to
//! the catalog without its schemas, or a schema left behind by a removed function, fails here
//! by name. HTTP functions (the Decision API) take API Gateway events, not a documented input.

use std::collections::BTreeMap;

use function_catalog::{Trigger, FUNCTIONS};
use schemas::Kind;

#[test]
fn the_schemas_cover_exactly_the_catalogs_task_and_scheduled_functions() {
    let listed: BTreeMap<&str, Kind> = schemas::functions()
        .iter()
        .map(|f| (f.name, f.kind))
        .collect();
    let invoked: BTreeMap<&str, Trigger> = FUNCTIONS
        .iter()
        .filter(|f| !matches!(f.trigger, Trigger::Http | Trigger::Stream))
        .map(|f| (f.package, f.trigger))
        .collect();

    let mut problems = Vec::new();
    for (package, trigger) in &invoked {
        match listed.get(package) {
            None => problems.push(format!(
                "{package}: in function_catalog (trigger {trigger:?}) but not in schemas::functions(); add its task(...), waiting(...) or scheduled(...) entry"
            )),
            Some(kind) if (*kind == Kind::Scheduled) != (*trigger == Trigger::Schedule) => {
                problems.push(format!(
                    "{package}: function_catalog says trigger {trigger:?}, schemas::functions() says {kind:?} (a Schedule trigger is scheduled(...), a Task trigger task(...) or waiting(...))"
                ))
            }
            Some(_) => {}
        }
    }
    for name in listed.keys().filter(|name| !invoked.contains_key(*name)) {
        problems.push(format!(
            "{name}: in schemas::functions() but not a Task or Schedule function of function_catalog::FUNCTIONS"
        ));
    }
    assert_eq!(
        listed.len(),
        schemas::functions().len(),
        "schemas::functions() names a function twice"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
