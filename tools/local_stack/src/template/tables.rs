//! `AWS::DynamoDB::Table`s (keys, attributes, TTL, global secondary indexes) and
//! `AWS::Serverless::SimpleTable`s.

use serde_yaml::Value as Yaml;

use super::resolver::Resolver;
use super::{IndexDef, TableDef};

pub(super) fn table(
    resolver: &Resolver,
    id: &str,
    props: Option<&Yaml>,
) -> Result<TableDef, String> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let ttl = prop("TimeToLiveSpecification")
        .filter(|t| t.get("Enabled").and_then(Yaml::as_bool).unwrap_or(false))
        .and_then(|t| t.get("AttributeName"))
        .and_then(Yaml::as_str)
        .map(str::to_string);
    let mut global_secondary_indexes = Vec::new();
    for index in prop("GlobalSecondaryIndexes")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
    {
        global_secondary_indexes.push(global_secondary_index(resolver, id, index)?);
    }
    Ok(TableDef {
        name: resolver.resource_name(id).unwrap_or(id.to_string()),
        key_schema: pairs(prop("KeySchema"), "AttributeName", "KeyType"),
        attributes: pairs(
            prop("AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        ),
        ttl_attribute: ttl,
        global_secondary_indexes,
    })
}

/// A `SimpleTable`: SAM's default primary key, `id` (a string).
pub(super) fn simple_table(resolver: &Resolver, id: &str) -> TableDef {
    TableDef {
        name: resolver.resource_name(id).unwrap_or(id.to_string()),
        key_schema: vec![("id".into(), "HASH".into())],
        attributes: vec![("id".into(), "S".into())],
        ttl_attribute: None,
        global_secondary_indexes: vec![],
    }
}

fn global_secondary_index(resolver: &Resolver, id: &str, index: &Yaml) -> Result<IndexDef, String> {
    let name = index
        .get("IndexName")
        .map(|n| resolver.resolve_str(n))
        .transpose()?
        .ok_or_else(|| format!("{id}: a global secondary index has no IndexName"))?;
    let projection = index.get("Projection");
    Ok(IndexDef {
        key_schema: pairs(index.get("KeySchema"), "AttributeName", "KeyType"),
        projection_type: projection
            .and_then(|p| p.get("ProjectionType"))
            .and_then(Yaml::as_str)
            .map(str::to_string),
        non_key_attributes: projection
            .and_then(|p| p.get("NonKeyAttributes"))
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|a| Some(a.as_str()?.to_string()))
            .collect(),
        name,
    })
}

/// The (`a`, `b`) pairs of a list of mappings, e.g. (AttributeName, KeyType).
fn pairs(list: Option<&Yaml>, a: &str, b: &str) -> Vec<(String, String)> {
    list.and_then(Yaml::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    Some((
                        i.get(a)?.as_str()?.to_string(),
                        i.get(b)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}
