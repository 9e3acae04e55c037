//! One message in each service's own format (pure): Slack's and Discord's webhook JSON, ntfy's
//! JSON publish format, Telegram's `sendMessage`, or Aurora's own JSON.

use reqwest::Url;
use serde::Serialize;
use serde_json::{Value, json};

/// A chat service's message format (`AURORA_ALERT_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Slack incoming webhook: `text` plus Block Kit blocks.
    Slack,
    /// Discord webhook: an embed.
    Discord,
    /// ntfy: the JSON publish format, posted to the server's root with the topic inside.
    Ntfy,
    /// Telegram Bot API `sendMessage` (`chat_id` from the URL's query).
    Telegram,
    /// Aurora's own JSON document, for anything else.
    Json,
}

impl Format {
    /// The names `AURORA_ALERT_FORMAT` takes.
    pub const NAMES: [&'static str; 5] = ["slack", "discord", "ntfy", "telegram", "json"];

    /// Parses `AURORA_ALERT_FORMAT`.
    pub fn parse(text: &str) -> Result<Format, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "slack" => Ok(Format::Slack),
            "discord" => Ok(Format::Discord),
            "ntfy" => Ok(Format::Ntfy),
            "telegram" => Ok(Format::Telegram),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "AURORA_ALERT_FORMAT={other:?} is not one of {}",
                Format::NAMES.join(", ")
            )),
        }
    }

    /// The format a webhook's host implies; `json` for hosts Aurora does not know.
    pub fn for_url(url: &Url) -> Format {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if is("hooks.slack.com") {
            Format::Slack
        } else if is("discord.com") || is("discordapp.com") {
            Format::Discord
        } else if is("ntfy.sh") || host.starts_with("ntfy.") {
            Format::Ntfy
        } else if is("api.telegram.org") {
            Format::Telegram
        } else {
            Format::Json
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::Ntfy => "ntfy",
            Format::Telegram => "telegram",
            Format::Json => "json",
        }
    }
}

/// How urgent a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something failed and needs a person.
    Alert,
    /// For information (the daily summary, a test).
    Info,
}

/// What to say: a title, lines of text, and the same facts as fields for the `json` format.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    /// One line.
    pub title: String,
    /// The body, one fact a line.
    pub lines: Vec<String>,
    /// Alert or information.
    pub severity: Severity,
    /// Machine-readable facts (the `json` format's body, beside `title` and `text`).
    pub fields: Value,
}

impl Message {
    /// The body as plain text.
    pub fn body(&self) -> String {
        self.lines.join("\n")
    }
}

/// A request's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// `application/json`.
    Json(Value),
}

/// The HTTP request a format makes: where, which headers, what body.
#[derive(Clone, Debug)]
pub struct Request {
    /// Where to post.
    pub url: Url,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

/// Limits of each service (characters), below which Aurora cuts a long message.
const SLACK_SECTION: usize = 3000;
const SLACK_HEADER: usize = 150;
const DISCORD_TITLE: usize = 256;
const DISCORD_DESCRIPTION: usize = 4096;
const TELEGRAM_TEXT: usize = 4096;
const NTFY_MESSAGE: usize = 4000;

/// The request for `message` in `format` to the webhook `url`.
pub fn request(format: Format, url: &Url, message: &Message) -> Result<Request, String> {
    let body = message.body();
    let plain = |b: Value| Request {
        url: url.clone(),
        headers: Vec::new(),
        body: Body::Json(b),
    };
    Ok(match format {
        Format::Slack => {
            let text = cut(&slack_escape(&body), SLACK_SECTION);
            plain(json!({
                // The notification's text; the blocks are what the channel shows.
                "text": slack_escape(&message.title),
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": cut(&message.title, SLACK_HEADER)}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                ],
            }))
        }
        Format::Discord => plain(json!({
            "embeds": [{
                "title": cut(&message.title, DISCORD_TITLE),
                "description": cut(&body, DISCORD_DESCRIPTION),
                "color": match message.severity {
                    Severity::Alert => 0xD0_30_30,
                    Severity::Info => 0x30_80_D0,
                },
            }],
            // Text from a job (an error line) must never ping anyone.
            "allowed_mentions": {"parse": []},
        })),
        Format::Ntfy => {
            // https://ntfy.sh/TOPIC → POST https://ntfy.sh/ {"topic": "TOPIC", …}
            let mut segments: Vec<&str> = url
                .path_segments()
                .map(|s| s.filter(|p| !p.is_empty()).collect())
                .unwrap_or_default();
            let topic = segments
                .pop()
                .ok_or("an ntfy webhook names its topic: https://ntfy.sh/TOPIC")?
                .to_owned();
            let mut root = url.clone();
            root.set_path(&format!("{}/", segments.join("/")).replace("//", "/"));
            let (priority, tags) = match message.severity {
                Severity::Alert => (4, ["rotating_light"]),
                Severity::Info => (3, ["chart_with_upwards_trend"]),
            };
            Request {
                url: root,
                headers: Vec::new(),
                body: Body::Json(json!({
                    "topic": topic,
                    "title": message.title,
                    "message": cut(&body, NTFY_MESSAGE),
                    "priority": priority,
                    "tags": tags,
                })),
            }
        }
        Format::Telegram => {
            // https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=<ID>
            let chat_id = url
                .query_pairs()
                .find(|(k, _)| k == "chat_id")
                .map(|(_, v)| v.into_owned())
                .ok_or("a Telegram webhook needs ?chat_id=… on its sendMessage URL")?;
            let mut bare = url.clone();
            bare.set_query(None);
            Request {
                url: bare,
                headers: Vec::new(),
                body: Body::Json(json!({
                    "chat_id": chat_id,
                    "text": cut(&format!("{}\n\n{body}", message.title), TELEGRAM_TEXT),
                    "link_preview_options": {"is_disabled": true},
                })),
            }
        }
        Format::Json => {
            // The message's own fields first (an alert's `text` is its one-line summary).
            let mut doc = match &message.fields {
                Value::Object(fields) => fields.clone(),
                _ => serde_json::Map::new(),
            };
            doc.entry("title").or_insert(json!(message.title));
            doc.entry("text")
                .or_insert(json!(format!("{}\n{body}", message.title)));
            doc.insert("severity".into(), json!(message.severity));
            plain(Value::Object(doc))
        }
    })
}

/// Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone): escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, ending in `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Message {
        Message {
            title: "⚠️ Aurora: paper-eod.service failed on vm".into(),
            lines: vec![
                "exit 4: reconciliation found a discrepancy".into(),
                "<!channel> & co".into(),
            ],
            severity: Severity::Alert,
            fields: json!({"unit": "paper-eod.service", "exit_code": 4}),
        }
    }

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    fn json_body(r: &Request) -> &Value {
        let Body::Json(v) = &r.body;
        v
    }

    #[test]
    fn the_format_follows_the_webhook_host() {
        for (u, f) in [
            ("https://hooks.slack.com/services/T/B/x", Format::Slack),
            ("https://discord.com/api/webhooks/1/x", Format::Discord),
            ("https://discordapp.com/api/webhooks/1/x", Format::Discord),
            ("https://ntfy.sh/aurora-alerts", Format::Ntfy),
            ("https://ntfy.example.org/aurora", Format::Ntfy),
            (
                "https://api.telegram.org/bot1:x/sendMessage?chat_id=5",
                Format::Telegram,
            ),
            ("https://example.org/hook", Format::Json),
            ("https://notslack.com/hooks.slack.com", Format::Json),
        ] {
            assert_eq!(Format::for_url(&url(u)), f, "{u}");
        }
        assert_eq!(Format::parse(" Discord ").unwrap(), Format::Discord);
        assert!(
            Format::parse("teams")
                .unwrap_err()
                .contains("slack, discord")
        );
    }

    #[test]
    fn slack_gets_blocks_with_markup_escaped() {
        let r = request(
            Format::Slack,
            &url("https://hooks.slack.com/services/x"),
            &msg(),
        )
        .unwrap();
        let b = json_body(&r);
        assert_eq!(b["blocks"][0]["type"], "header");
        let text = b["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(text.contains("&lt;!channel&gt; &amp; co"), "{text}");
        assert!(
            b["text"]
                .as_str()
                .unwrap()
                .contains("paper-eod.service failed")
        );
    }

    #[test]
    fn discord_gets_an_embed_that_pings_nobody() {
        let r = request(
            Format::Discord,
            &url("https://discord.com/api/webhooks/1/x"),
            &msg(),
        )
        .unwrap();
        let b = json_body(&r);
        assert_eq!(b["embeds"][0]["title"], msg().title);
        assert_eq!(b["allowed_mentions"]["parse"], json!([]));
        assert!(
            b["embeds"][0]["description"]
                .as_str()
                .unwrap()
                .starts_with("exit 4")
        );
    }

    #[test]
    fn ntfy_posts_json_to_the_root_with_the_topic_inside() {
        let r = request(
            Format::Ntfy,
            &url("https://ntfy.example.org/base/aurora?auth=tk"),
            &msg(),
        )
        .unwrap();
        assert_eq!(r.url.as_str(), "https://ntfy.example.org/base/?auth=tk");
        let b = json_body(&r);
        assert_eq!(b["topic"], "aurora");
        assert_eq!(b["priority"], 4);
        assert_eq!(b["tags"], json!(["rotating_light"]));
        let r = request(Format::Ntfy, &url("https://ntfy.sh/aurora"), &msg()).unwrap();
        assert_eq!(r.url.as_str(), "https://ntfy.sh/");
        assert!(request(Format::Ntfy, &url("https://ntfy.sh/"), &msg()).is_err());
    }

    #[test]
    fn telegram_moves_the_chat_id_into_the_body() {
        let u = url("https://api.telegram.org/bot1:tok/sendMessage?chat_id=-100123");
        let r = request(Format::Telegram, &u, &msg()).unwrap();
        assert_eq!(
            r.url.as_str(),
            "https://api.telegram.org/bot1:tok/sendMessage"
        );
        let b = json_body(&r);
        assert_eq!(b["chat_id"], "-100123");
        assert!(b["text"].as_str().unwrap().starts_with("⚠️ Aurora"));
        let no_chat = url("https://api.telegram.org/bot1:tok/sendMessage");
        assert!(
            request(Format::Telegram, &no_chat, &msg())
                .unwrap_err()
                .contains("chat_id")
        );
    }

    #[test]
    fn json_keeps_the_fields_and_long_text_is_cut() {
        let r = request(Format::Json, &url("https://example.org/h"), &msg()).unwrap();
        let b = json_body(&r);
        assert_eq!(b["unit"], "paper-eod.service");
        assert_eq!(b["exit_code"], 4);
        assert_eq!(b["severity"], "alert");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
