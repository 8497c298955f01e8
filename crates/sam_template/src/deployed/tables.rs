//! `AWS::DynamoDB::Table`s (keys, attributes, TTL, global secondary indexes) and
//! `AWS::Serverless::SimpleTable`s.

use serde_norway::Value as Yaml;

use crate::error::At;
use crate::resolver::Resolver;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// `TableName`, else the logical id.
    pub name: String,
    /// (attribute, HASH|RANGE)
    pub key_schema: Vec<(String, String)>,
    /// (attribute, S|N|B)
    pub attributes: Vec<(String, String)>,
    pub ttl_attribute: Option<String>,
    pub global_secondary_indexes: Vec<IndexDef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    /// (attribute, HASH|RANGE)
    pub key_schema: Vec<(String, String)>,
    /// ALL | KEYS_ONLY | INCLUDE; left to DynamoDB when the template leaves it out.
    pub projection_type: Option<String>,
    /// The attributes an `INCLUDE` projection adds to the keys.
    pub non_key_attributes: Vec<String>,
}

pub(super) fn table(resolver: &Resolver, id: &str, props: Option<&Yaml>) -> Result<TableDef> {
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let ttl = prop("TimeToLiveSpecification")
        .filter(|t| t.get("Enabled").and_then(Yaml::as_bool).unwrap_or(false))
        .and_then(|t| t.get("AttributeName"))
        .and_then(Yaml::as_str)
        .map(str::to_string);
    let mut global_secondary_indexes = Vec::new();
    let indexes = prop("GlobalSecondaryIndexes").and_then(Yaml::as_sequence);
    for (n, index) in indexes.into_iter().flatten().enumerate() {
        global_secondary_indexes.push(global_secondary_index(resolver, id, n, index)?);
    }
    Ok(TableDef {
        name: resolver.resource_name(id).unwrap_or(id.to_string()),
        key_schema: pairs(id, "KeySchema", prop("KeySchema"), "KeyType")?,
        attributes: pairs(
            id,
            "AttributeDefinitions",
            prop("AttributeDefinitions"),
            "AttributeType",
        )?,
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

fn global_secondary_index(
    resolver: &Resolver,
    id: &str,
    n: usize,
    index: &Yaml,
) -> Result<IndexDef> {
    let field = format!("GlobalSecondaryIndexes[{n}]");
    let name = index
        .get("IndexName")
        .map(|n| resolver.resolve_str(n))
        .transpose();
    let name = name.at(id, &format!("{field}.IndexName"))?;
    let name = name.ok_or_else(|| Error::field(id, &format!("{field}.IndexName"), "missing"))?;
    let projection = index.get("Projection");
    let key_schema = pairs(
        id,
        &format!("{field}.KeySchema"),
        index.get("KeySchema"),
        "KeyType",
    )?;
    Ok(IndexDef {
        key_schema,
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

/// The (`AttributeName`, `second`) pairs of a list of mappings, e.g. (AttributeName, KeyType);
/// an item without both, as literal strings, is an error naming it.
fn pairs(
    id: &str,
    field: &str,
    list: Option<&Yaml>,
    second: &str,
) -> Result<Vec<(String, String)>> {
    let items = list.and_then(Yaml::as_sequence).into_iter().flatten();
    items
        .enumerate()
        .map(|(n, item)| {
            let text = |key: &str| {
                let value = item.get(key).and_then(Yaml::as_str).map(str::to_string);
                let problem = "missing or not a literal string";
                value.ok_or_else(|| Error::field(id, &format!("{field}[{n}].{key}"), problem))
            };
            Ok((text("AttributeName")?, text(second)?))
        })
        .collect()
}
