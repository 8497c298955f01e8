//! The confirmation form a link's GET shows, read as a browser would: its `action` resolved
//! against the page's URL, its hidden fields as sent, a text field (the typed name on shared
//! links) filled in. The load tool POSTs exactly this, so it follows the page, not a guess.

use html_escape::decode_html_entities;
use regex::Regex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// Absolute URL the form posts to.
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The `application/x-www-form-urlencoded` body a browser sends.
    pub fn body(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.fields)
            .finish()
    }
}

/// What a load-test person types into a text field.
pub const TYPED_NAME: &str = "Load Tester";

/// The first `method="post"` form of `html`, served at `page_url`.
pub fn parse(page_url: &str, html: &str) -> Option<Form> {
    let form_tag = Regex::new(r"(?is)<form\b([^>]*)>(.*?)</form>").ok()?;
    let input_tag = Regex::new(r"(?is)<input\b([^>]*)>").ok()?;
    let (attributes, inner) = form_tag.captures_iter(html).find_map(|c| {
        let attributes = attributes_of(c.get(1)?.as_str());
        let post = value(&attributes, "method").eq_ignore_ascii_case("post");
        post.then(|| (attributes, c.get(2).map_or("", |m| m.as_str())))
    })?;
    let page = reqwest::Url::parse(page_url).ok()?;
    let action = page.join(&value(&attributes, "action")).ok()?;
    let mut fields = Vec::new();
    for input in input_tag.captures_iter(inner) {
        let attributes = attributes_of(input.get(1).map_or("", |m| m.as_str()));
        let name = value(&attributes, "name");
        if name.is_empty() {
            continue;
        }
        let typed = match value(&attributes, "type").to_ascii_lowercase().as_str() {
            "hidden" => value(&attributes, "value"),
            "text" | "" => Some(value(&attributes, "value"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| TYPED_NAME.to_string()),
            _ => continue,
        };
        fields.push((name, typed));
    }
    Some(Form {
        action: action.to_string(),
        fields,
    })
}

/// `name="value"` pairs of a tag, entities decoded.
fn attributes_of(tag: &str) -> Vec<(String, String)> {
    let pair = Regex::new(r#"([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*"([^"]*)""#).expect("regex");
    pair.captures_iter(tag)
        .map(|c| {
            (
                c[1].to_ascii_lowercase(),
                decode_html_entities(&c[2]).into_owned(),
            )
        })
        .collect()
}

fn value(attributes: &[(String, String)], name: &str) -> String {
    attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><form method="get" action="/search"><input name="q"></form>
<h1>Confirm your decision</h1><form method="post" action="ab-1"><input type="hidden" name="d" value="approve"><input type="hidden" name="sig" value="a+b&amp;c"><input type="hidden" name="submission" value="s-9"><label for="name">Your name</label><input type="text" id="name" name="name" maxlength="80" value=""><textarea id="comment" name="comment"></textarea><button type="submit" id="confirm">Approve</button></form></body></html>"#;

    #[test]
    fn the_post_form_is_read_as_a_browser_sends_it() {
        let form = parse("http://127.0.0.1:3000/decisions/ab-1?d=approve&sig=x", PAGE).unwrap();
        assert_eq!(form.action, "http://127.0.0.1:3000/decisions/ab-1");
        assert_eq!(
            form.fields,
            [
                ("d".to_string(), "approve".to_string()),
                ("sig".to_string(), "a+b&c".to_string()),
                ("submission".to_string(), "s-9".to_string()),
                ("name".to_string(), TYPED_NAME.to_string()),
            ]
        );
        assert_eq!(
            form.body(),
            "d=approve&sig=a%2Bb%26c&submission=s-9&name=Load+Tester"
        );
    }

    #[test]
    fn a_page_without_a_post_form_has_none() {
        let page = "<h1>Your click was not taken</h1><p>Please try again in a minute.</p>";
        assert_eq!(parse("http://h/decisions/x", page), None);
    }
}
