//! `GET /api/docs`: the API reference as one page, rendered on the server
//! from the published OpenAPI document (`api::contract`), so it says exactly
//! what `/api/v1/openapi.json` says. Plain HTML and the app's stylesheet: no
//! script, nothing fetched from elsewhere.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::api::contract;
use super::errors::HtmlError;
use crate::inventory::InventoryError;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/docs", web::get().to(reference));
}

/// Markdown from the document, as HTML. The text is the code's own.
fn markdown(text: &str) -> String {
    let mut html = String::new();
    let options = pulldown_cmark::Options::ENABLE_TABLES;
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(text, options));
    html
}

/// A schema's type as a reader wants it: `Item`, `string or null`,
/// `array of OnlineRecord`, `one of "ship", "pickup"`. `link` is the
/// component it names, if any.
struct TypeView {
    text: String,
    link: Option<String>,
}

fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

fn type_of(schema: &Value) -> TypeView {
    let plain = |text: String| TypeView { text, link: None };
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(schema_name)
    {
        return TypeView {
            text: name.to_owned(),
            link: Some(name.to_owned()),
        };
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let views: Vec<TypeView> = choices.iter().map(type_of).collect();
        let link = views.iter().find_map(|v| v.link.clone());
        let text = views
            .into_iter()
            .map(|v| v.text)
            .collect::<Vec<_>>()
            .join(" or ");
        return TypeView { text, link };
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values = values.iter().map(Value::to_string).collect::<Vec<_>>();
        return plain(format!("one of {}", values.join(", ")));
    }
    let types: Vec<String> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec!["any".to_owned()],
    };
    let mut link = None;
    let types: Vec<String> = types
        .into_iter()
        .map(|t| match t.as_str() {
            "array" => {
                let items = schema.get("items").map(type_of);
                link = items.as_ref().and_then(|i| i.link.clone());
                format!(
                    "array of {}",
                    items.map_or_else(|| "any".to_owned(), |i| i.text)
                )
            }
            _ => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{t} ({format})"),
                None => t,
            },
        })
        .collect();
    TypeView {
        text: types.join(" or "),
        link,
    }
}

fn limits(schema: &Value) -> String {
    let mut parts = Vec::new();
    for (key, label) in [
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minItems", "items ≥"),
        ("pattern", "matches"),
    ] {
        if let Some(value) = schema.get(key) {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            parts.push(format!("{label} {value}"));
        }
    }
    parts.join(", ")
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

struct ParameterView {
    name: String,
    location: String,
    required: bool,
    kind: TypeView,
    limits: String,
    description_html: String,
}

struct HeaderView {
    name: String,
    description_html: String,
}

struct ResponseView {
    status: String,
    description_html: String,
    content_type: Option<String>,
    body: Option<TypeView>,
    headers: Vec<HeaderView>,
}

struct OperationView {
    id: String,
    method: String,
    path: String,
    summary: String,
    description_html: String,
    /// The token scope it needs; `None` for a public operation.
    scope: Option<String>,
    parameters: Vec<ParameterView>,
    body: Option<TypeView>,
    responses: Vec<ResponseView>,
}

struct PropertyView {
    name: String,
    required: bool,
    kind: TypeView,
    limits: String,
    description_html: String,
}

struct SchemaView {
    name: String,
    description_html: String,
    /// For a choice of shapes (`oneOf`): what it may be.
    choice: Option<TypeView>,
    properties: Vec<PropertyView>,
}

struct TagView {
    name: String,
    description_html: String,
    operations: Vec<OperationView>,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct ReferencePage {
    title: String,
    version: String,
    openapi: String,
    description_html: String,
    tags: Vec<TagView>,
    schemas: Vec<SchemaView>,
}

fn operation(method: &str, path: &str, op: &Value) -> OperationView {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
            ParameterView {
                name: text(p, "name"),
                location: text(p, "in"),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                kind: type_of(&schema),
                limits: limits(&schema),
                description_html: markdown(&text(p, "description")),
            }
        })
        .collect();
    let body = op
        .pointer("/requestBody/content/application~1json/schema")
        .map(type_of);
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let content = response
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.iter().next());
            ResponseView {
                status: status.clone(),
                description_html: markdown(&text(response, "description")),
                content_type: content.map(|(kind, _)| kind.clone()),
                body: content.and_then(|(_, c)| c.get("schema")).map(type_of),
                headers: response
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(name, header)| HeaderView {
                        name: name.clone(),
                        description_html: markdown(&text(header, "description")),
                    })
                    .collect(),
            }
        })
        .collect();
    OperationView {
        id: text(op, "operationId"),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description_html: markdown(&text(op, "description")),
        scope: op
            .pointer("/security/0/api_token/0")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters,
        body,
        responses,
    }
}

fn schema(name: &str, schema: &Value) -> SchemaView {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    SchemaView {
        name: name.to_owned(),
        description_html: markdown(&text(schema, "description")),
        choice: (schema.get("oneOf").is_some() || schema.get("enum").is_some())
            .then(|| type_of(schema)),
        properties: schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(property, s)| PropertyView {
                name: property.clone(),
                required: required.contains(&property.as_str()),
                kind: type_of(s),
                limits: limits(s),
                description_html: markdown(&text(s, "description")),
            })
            .collect(),
    }
}

/// The page's content, from the document.
fn page(document: &Value) -> ReferencePage {
    let mut tags: Vec<TagView> = document
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tag| TagView {
            name: text(tag, "name"),
            description_html: markdown(&text(tag, "description")),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("");
            let view = operation(method, path, op);
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(group) => group.operations.push(view),
                None => tags.push(TagView {
                    name: tag.to_owned(),
                    description_html: String::new(),
                    operations: vec![view],
                }),
            }
        }
    }
    ReferencePage {
        title: document
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        version: document
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        openapi: text(document, "openapi"),
        description_html: markdown(
            document
                .pointer("/info/description")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
        tags,
        schemas: document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, s)| schema(name, s))
            .collect(),
    }
}

async fn reference() -> Result<HttpResponse, HtmlError> {
    let document: Value = serde_json::from_str(contract::document())
        .map_err(|e| HtmlError::from(InventoryError::Corrupt(format!("the contract: {e}"))))?;
    let html = page(&document).render().map_err(|e| {
        HtmlError::from(InventoryError::Corrupt(format!("the reference page: {e}")))
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
