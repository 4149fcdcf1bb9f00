//! A minimal Elasticsearch stand-in under `/es`: enough of the REST API for the official
//! Python client to say hello, index documents, fetch them and search them, so that the client
//! can be run unchanged on our urllib3 (`Elasticsearch("http://host:port/es")`).
//!
//! - `GET /es/`: the cluster info the client checks (`X-Elastic-Product` on every answer).
//! - `PUT|POST /es/{index}/_doc/{id}`, `POST /es/{index}/_doc`: index a document.
//! - `GET /es/{index}/_doc/{id}`: fetch it.
//! - `POST|GET /es/{index}/_search`: `match_all`, or `match` on one field (a case-insensitive
//!   word match); `POST /es/{index}/_refresh` is accepted and does nothing (searches see every
//!   document at once).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use crate::request::Request;
use crate::response::Response;

/// The documents indexed so far: index name → id → source, in id order.
#[derive(Default)]
pub(crate) struct Indices {
    indices: Mutex<BTreeMap<String, BTreeMap<String, Value>>>,
    next_id: Mutex<u64>,
}

/// Answers a request under `/es` (`rest` is the path after it).
pub(crate) fn handle(req: &Request<'_>, store: &Indices, rest: &str) -> Response {
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let response = match (req.method(), parts.as_slice()) {
        ("GET" | "HEAD", []) => info(),
        ("PUT" | "POST", [index, "_doc", id]) => index_doc(req, store, index, Some(id)),
        ("POST", [index, "_doc"]) => index_doc(req, store, index, None),
        ("GET", [index, "_doc", id]) => get_doc(store, index, id),
        ("GET" | "POST", [index, "_search"]) => search(req, store, index),
        ("POST" | "GET", [_, "_refresh"]) => Response::json(
            200,
            &json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}),
        ),
        _ => error(404, "not_found", &format!("no handler for {rest}")),
    };
    response.header("X-Elastic-Product", "Elasticsearch")
}

fn info() -> Response {
    Response::json(
        200,
        &json!({
            "name": "urllib3-rs-testserver",
            "cluster_name": "testserver",
            "cluster_uuid": "testserver-uuid",
            "version": {"number": "9.0.0", "build_flavor": "default", "lucene_version": "10.0.0"},
            "tagline": "You Know, for Search",
        }),
    )
}

fn index_doc(req: &Request<'_>, store: &Indices, index: &str, id: Option<&str>) -> Response {
    let Ok(source @ Value::Object(_)) = serde_json::from_slice::<Value>(req.body()) else {
        return error(
            400,
            "mapper_parsing_exception",
            "the document is not a JSON object",
        );
    };
    let id = match id {
        Some(id) => id.to_owned(),
        None => {
            let mut next = store.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            format!("auto-{next}")
        }
    };
    let mut indices = store.indices.lock().unwrap_or_else(|e| e.into_inner());
    let docs = indices.entry(index.to_owned()).or_default();
    let result = if docs.insert(id.clone(), source).is_some() {
        "updated"
    } else {
        "created"
    };
    let status = if result == "created" { 201 } else { 200 };
    Response::json(
        status,
        &json!({
            "_index": index, "_id": id, "_version": 1, "result": result,
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": 0, "_primary_term": 1,
        }),
    )
}

fn get_doc(store: &Indices, index: &str, id: &str) -> Response {
    let indices = store.indices.lock().unwrap_or_else(|e| e.into_inner());
    match indices.get(index).and_then(|docs| docs.get(id)) {
        Some(source) => Response::json(
            200,
            &json!({"_index": index, "_id": id, "_version": 1, "found": true, "_source": source}),
        ),
        None => Response::json(404, &json!({"_index": index, "_id": id, "found": false})),
    }
}

fn search(req: &Request<'_>, store: &Indices, index: &str) -> Response {
    let query = if req.body().is_empty() {
        json!({"match_all": {}})
    } else {
        match serde_json::from_slice::<Value>(req.body()) {
            Ok(body) => body
                .get("query")
                .cloned()
                .unwrap_or(json!({"match_all": {}})),
            Err(_) => return error(400, "parsing_exception", "the search body is not JSON"),
        }
    };
    let indices = store.indices.lock().unwrap_or_else(|e| e.into_inner());
    let Some(docs) = indices.get(index) else {
        return error(
            404,
            "index_not_found_exception",
            &format!("no such index [{index}]"),
        );
    };
    let hits: Vec<Value> = docs
        .iter()
        .filter(|(_, source)| matches(&query, source))
        .map(|(id, source)| json!({"_index": index, "_id": id, "_score": 1.0, "_source": source}))
        .collect();
    Response::json(
        200,
        &json!({
            "took": 1, "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": hits.len(), "relation": "eq"}, "max_score": 1.0, "hits": hits},
        }),
    )
}

/// `match_all`, or `match` of one field: every word of the query appears in the field.
fn matches(query: &Value, source: &Value) -> bool {
    if query.get("match_all").is_some() {
        return true;
    }
    let Some(Value::Object(fields)) = query.get("match") else {
        return false;
    };
    fields
        .iter()
        .all(|(field, wanted)| field_matches(source, field, wanted))
}

fn field_matches(source: &Value, field: &str, wanted: &Value) -> bool {
    let wanted = match wanted {
        Value::Object(options) => options.get("query").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let (Some(text), Some(wanted)) = (source.get(field).map(as_text), Some(as_text(&wanted)))
    else {
        return false;
    };
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    wanted
        .split_whitespace()
        .all(|w| words.contains(&w.to_lowercase()))
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn error(status: u16, kind: &str, reason: &str) -> Response {
    let cause = Map::from_iter([
        ("type".to_owned(), json!(kind)),
        ("reason".to_owned(), json!(reason)),
    ]);
    Response::json(
        status,
        &json!({"error": {"root_cause": [cause.clone()], "type": kind, "reason": reason}, "status": status}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_queries_need_every_word() {
        let doc = json!({"title": "The Quick brown fox", "n": 3});
        assert!(matches(&json!({"match_all": {}}), &doc));
        assert!(matches(&json!({"match": {"title": "quick FOX"}}), &doc));
        assert!(matches(
            &json!({"match": {"title": {"query": "brown"}}}),
            &doc
        ));
        assert!(matches(&json!({"match": {"n": 3}}), &doc));
        assert!(!matches(&json!({"match": {"title": "quick cat"}}), &doc));
        assert!(!matches(&json!({"match": {"missing": "x"}}), &doc));
        assert!(!matches(&json!({"term": {"title": "fox"}}), &doc));
    }
}
