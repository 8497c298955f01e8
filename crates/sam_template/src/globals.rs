//! SAM's `Globals`: merged into each resource's `Properties` as the SAM translator does
//! (docs: "Globals section of the AWS SAM template", Overridable properties): mappings are
//! merged key by key with the resource's value winning, lists are concatenated (the globals'
//! items first), anything else (a scalar, an intrinsic) is the resource's own.

use serde_norway::Value as Yaml;

/// `own` with `global` merged under it.
pub fn merge(global: &Yaml, own: &Yaml) -> Yaml {
    match (global, own) {
        (Yaml::Mapping(global), Yaml::Mapping(own)) => {
            let mut merged = global.clone();
            for (key, value) in own {
                let value = match global.get(key) {
                    Some(global_value) => merge(global_value, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Yaml::Mapping(merged)
        }
        (Yaml::Sequence(global), Yaml::Sequence(own)) => {
            Yaml::Sequence(global.iter().chain(own).cloned().collect())
        }
        (_, own) => own.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_merge_lists_add_up_and_the_resource_s_scalars_win() {
        let global: Yaml = serde_norway::from_str(
            "Timeout: 7\nLayers: [a]\nEnvironment: {Variables: {A: g, B: g}}\nTracing: Active",
        )
        .unwrap();
        let own: Yaml = serde_norway::from_str(
            "Timeout: 30\nLayers: [b]\nEnvironment: {Variables: {B: own, C: !Ref X}}",
        )
        .unwrap();
        let expected: Yaml = serde_norway::from_str(
            "Timeout: 30\nLayers: [a, b]\nEnvironment: {Variables: {A: g, B: own, C: !Ref X}}\n\
             Tracing: Active",
        )
        .unwrap();
        assert_eq!(merge(&global, &own), expected);
    }
}
