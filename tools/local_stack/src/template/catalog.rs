//! The template's functions are exactly `function_catalog::FUNCTIONS`: the local stack runs
//! each one's binary, so a function in one and not the other, or under another binary, would
//! start a stack that cannot run (or silently leaves out) a function.

use anyhow::bail;
use sam_template::Template;

/// Refuses a template whose functions (logical id, binary) differ from the catalog's.
pub fn check_catalog(template: &Template) -> anyhow::Result<()> {
    let functions = template.functions()?;
    let declared: Vec<(&str, &str)> = functions
        .iter()
        .map(|f| (f.logical_id.as_str(), f.binary.as_str()))
        .collect();
    let catalog: Vec<(&str, &str)> = function_catalog::FUNCTIONS
        .iter()
        .map(|f| (f.logical_id, f.binary))
        .collect();
    agree(&declared, &catalog)
}

/// `template` and `catalog` hold the same (logical id, binary) pairs.
fn agree(template: &[(&str, &str)], catalog: &[(&str, &str)]) -> anyhow::Result<()> {
    for (id, binary) in template {
        match catalog.iter().find(|(c, _)| c == id) {
            None => bail!(
                "the template's function {id} is not in function_catalog::FUNCTIONS: add its \
                 entry (crates/function_catalog/src/entries.rs) or remove the resource"
            ),
            Some((_, cataloged)) if cataloged != binary => bail!(
                "function {id}: the template builds binary {binary}, \
                 function_catalog::FUNCTIONS says {cataloged}"
            ),
            Some(_) => {}
        }
    }
    if let Some((id, _)) = catalog
        .iter()
        .find(|(c, _)| !template.iter().any(|(t, _)| t == c))
    {
        bail!("function {id} of function_catalog::FUNCTIONS is not in the template");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn real_template_text() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        std::fs::read_to_string(path).unwrap()
    }

    /// `text` with one more function, `id`, building `binary`.
    fn with_function(text: &str, id: &str, binary: &str) -> Template {
        let extra = format!(
            "Resources:\n  {id}:\n    Type: AWS::Serverless::Function\n    \
             Metadata: {{BuildProperties: {{Binary: {binary}}}}}\n    Properties: {{}}\n"
        );
        let text = text.replacen("Resources:\n", &extra, 1);
        Template::parse(&text, Path::new(".")).unwrap()
    }

    #[test]
    fn the_product_s_template_agrees_with_the_catalog() {
        let text = real_template_text();
        check_catalog(&Template::parse(&text, Path::new(".")).unwrap()).unwrap();
    }

    #[test]
    fn a_function_the_catalog_lacks_is_refused_by_name() {
        let template = with_function(&real_template_text(), "ExtraFunction", "extra");
        let error = check_catalog(&template).unwrap_err().to_string();
        assert!(
            error.starts_with("the template's function ExtraFunction is not in function_catalog"),
            "{error}"
        );
    }

    /// The stack's loader refuses it too: `hitl-local` does not start.
    #[test]
    fn the_stack_does_not_load_a_template_with_a_function_the_catalog_lacks() {
        let dir = std::env::temp_dir().join(format!("hitl-catalog-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = real_template_text().replacen(
            "Resources:\n",
            "Resources:\n  ExtraFunction:\n    Type: AWS::Serverless::Function\n    \
             Metadata: {BuildProperties: {Binary: extra}}\n",
            1,
        );
        std::fs::write(dir.join("template.yaml"), text).unwrap();
        let overrides = Default::default();
        let loaded =
            crate::template::load(&dir.join("template.yaml"), "http://x", &overrides, |_| {
                "x".repeat(40)
            });
        std::fs::remove_dir_all(&dir).unwrap();
        let error = loaded.unwrap_err().to_string();
        assert!(
            error.contains("function ExtraFunction is not in"),
            "{error}"
        );
    }

    #[test]
    fn a_function_the_template_lacks_or_builds_otherwise_is_refused_by_name() {
        let catalog = [("AFunction", "a"), ("BFunction", "b")];
        let error = agree(&[("AFunction", "a")], &catalog).unwrap_err();
        assert_eq!(
            error.to_string(),
            "function BFunction of function_catalog::FUNCTIONS is not in the template"
        );
        let error = agree(&[("AFunction", "a"), ("BFunction", "bee")], &catalog).unwrap_err();
        assert_eq!(
            error.to_string(),
            "function BFunction: the template builds binary bee, function_catalog::FUNCTIONS says b"
        );
        agree(&[("BFunction", "b"), ("AFunction", "a")], &catalog).unwrap();
    }
}
