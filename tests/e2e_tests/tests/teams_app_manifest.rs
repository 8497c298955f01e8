//! The Teams app an admin uploads (`teams-app/`): its manifest is JSON with the fields Teams
//! refuses an app without, its bot is the stack's bot (the `TeamsBotAppId` placeholder names a
//! parameter of `template.yaml`) in the scopes a card may go to, every placeholder is explained
//! in its README, and the icons have the sizes Teams requires. No stack is started.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sam_template::Template;
use serde_json::Value;

fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../teams-app")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(app_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

/// Every `{{Name}}` in `text`.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").expect("a closed placeholder") + start;
        found.insert(rest[start + 2..end].to_string());
        rest = &rest[end + 2..];
    }
    found
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("manifest.json{pointer} is a string"))
        .to_string()
}

#[test]
fn the_manifest_has_every_field_teams_requires() {
    let m = manifest();
    let version = text(&m, "/manifestVersion");
    let (major, minor) = version.split_once('.').unwrap();
    let (major, minor): (u32, u32) = (major.parse().unwrap(), minor.parse().unwrap());
    assert!((major, minor) >= (1, 16), "schema 1.16 or later: {version}");
    assert!(
        text(&m, "/$schema").contains(&format!("/v{version}/")),
        "the $schema is that version's"
    );
    for pointer in [
        "/version",
        "/id",
        "/developer/name",
        "/developer/websiteUrl",
        "/developer/privacyUrl",
        "/developer/termsOfUseUrl",
        "/name/short",
        "/description/short",
        "/description/full",
        "/icons/color",
        "/icons/outline",
        "/accentColor",
    ] {
        assert!(!text(&m, pointer).is_empty(), "{pointer}");
    }
    assert!(text(&m, "/name/short").chars().count() <= 30);
    assert!(text(&m, "/description/short").chars().count() <= 80);
    assert!(text(&m, "/description/full").chars().count() <= 4000);
    for pointer in ["/developer/websiteUrl", "/developer/privacyUrl"] {
        assert!(text(&m, pointer).starts_with("https://"), "{pointer}");
    }
}

#[test]
fn its_bot_is_the_stacks_bot_in_every_scope_a_card_goes_to() {
    let m = manifest();
    let bots = m["bots"].as_array().expect("bots");
    assert_eq!(bots.len(), 1);
    let bot = &bots[0];
    assert_eq!(bot["botId"], "{{TeamsBotAppId}}");
    assert_eq!(m["id"], "{{TeamsBotAppId}}", "the app's id is the bot's");
    assert_eq!(m["webApplicationInfo"]["id"], "{{TeamsBotAppId}}");
    let scopes: BTreeSet<&str> = bot["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(scopes, BTreeSet::from(["personal", "team", "groupChat"]));
    assert_eq!(bot["supportsFiles"], false);
    // A notification-only bot receives no invoke: the cards' buttons would do nothing.
    assert_ne!(bot["isNotificationOnly"], true);
    let template = Template::read(&app_dir().join("../template.yaml")).unwrap();
    assert!(
        template
            .parameters()
            .iter()
            .any(|p| p.name == "TeamsBotAppId"),
        "the placeholder names a template parameter"
    );
    let domains = m["validDomains"].as_array().unwrap();
    assert!(domains.iter().any(|d| d == "{{ApiHost}}"), "{domains:?}");
}

#[test]
fn every_placeholder_is_explained_in_the_apps_readme() {
    let manifest = std::fs::read_to_string(app_dir().join("manifest.json")).unwrap();
    let readme = std::fs::read_to_string(app_dir().join("README.md")).unwrap();
    let used = placeholders(&manifest);
    assert!(used.contains("TeamsBotAppId"), "{used:?}");
    for name in used {
        assert!(
            readme.contains(&format!("`{{{{{name}}}}}`")),
            "teams-app/README.md explains {{{{{name}}}}}"
        );
    }
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(file: &str) -> (u32, u32) {
    let bytes = std::fs::read(app_dir().join(file)).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{file} is a PNG");
    assert_eq!(&bytes[12..16], b"IHDR", "{file}");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn the_icons_have_the_sizes_teams_requires() {
    let m = manifest();
    assert_eq!(png_size(&text(&m, "/icons/color")), (192, 192));
    assert_eq!(png_size(&text(&m, "/icons/outline")), (32, 32));
}
