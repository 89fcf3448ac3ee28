//! Bad bodies for the bad-input tests: a valid JSON body with one value replaced or removed,
//! and text too long for any field.

use serde_json::Value;

/// 100 kB of text: more than any field takes.
pub fn kb100() -> String {
    "x".repeat(100 * 1024)
}

/// `body` with the value at a JSON pointer replaced (or added to its object).
pub fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let parent = if parent.is_empty() {
        &mut body
    } else {
        body.pointer_mut(parent).expect("parent")
    };
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{pointer} is not inside an object or array"),
    }
    body
}

/// `body` without the value at a JSON pointer.
pub fn without(mut body: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let parent = if parent.is_empty() {
        &mut body
    } else {
        body.pointer_mut(parent).expect("parent")
    };
    parent.as_object_mut().expect("object").remove(key);
    body
}
