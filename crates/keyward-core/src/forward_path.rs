//! The canonical form of a request path, on which forward-auth rules match.
//!
//! A proxy hands keyward the URI its client sent; the upstream behind it may
//! read that URI differently (decoding, resolving `..`, merging slashes).
//! Rules are matched on one canonical reading, RFC 3986 §6.2.2: the query
//! and fragment split off, percent-encoded unreserved characters decoded,
//! hex digits of the remaining escapes upper-cased, dot segments removed
//! (§5.2.4) and repeated slashes collapsed. A path that servers could still
//! read in more than one way (an encoded slash or dot segment, a backslash,
//! a control character, bytes that don't decode to UTF-8) is refused, not
//! guessed at. An already canonical path is returned without allocating.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

/// Longer paths are refused; proxies cap request lines near this anyway.
pub const MAX_PATH: usize = 8 * 1024;

/// Why a path has no canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("the path must start with /")]
    NotAbsolute,
    #[error("the path is longer than {MAX_PATH} bytes")]
    TooLong,
    #[error("the path holds a % not followed by two hex digits")]
    BadEscape,
    #[error("the path holds an encoded slash")]
    EncodedSlash,
    #[error("the path holds an encoded dot segment")]
    EncodedDotSegment,
    #[error("the path holds a backslash")]
    Backslash,
    #[error("the path holds a control character")]
    Control,
    #[error("the path does not decode to UTF-8")]
    InvalidUtf8,
}

/// A path in canonical form; only [`canonical_path`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalPath<'a>(Cow<'a, str>);

impl CanonicalPath<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether canonicalisation had to rewrite the path.
    pub fn is_rewritten(&self) -> bool {
        matches!(self.0, Cow::Owned(_))
    }

    /// The segments, each still percent-encoded (see [`decode_segment`]);
    /// a trailing slash yields no empty segment.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }
}

impl Deref for CanonicalPath<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CanonicalPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The canonical form of `uri` (a path, optionally with query and fragment).
pub fn canonical_path(uri: &str) -> Result<CanonicalPath<'_>, PathError> {
    let path = uri.find(['?', '#']).map_or(uri, |end| &uri[..end]);
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PathError::NotAbsolute);
    };
    if path.len() > MAX_PATH {
        return Err(PathError::TooLong);
    }
    let mut rewrite = false;
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        let scan = scan(segment)?;
        rewrite |= scan.rewrite || scan.kind == Kind::Dot || (scan.kind == Kind::Empty && !last);
    }
    if !rewrite {
        return Ok(CanonicalPath(Cow::Borrowed(path)));
    }
    Ok(CanonicalPath(Cow::Owned(rebuild(rest))))
}

/// The second pass, for a path [`canonical_path`] found valid but not canonical.
fn rebuild(rest: &str) -> String {
    let mut out = String::with_capacity(rest.len() + 1);
    let mut trailing_slash = false;
    for segment in rest.split('/') {
        trailing_slash = false;
        if segment.is_empty() || segment == "." {
            trailing_slash = true;
        } else if segment == ".." {
            let parent = out.rfind('/').unwrap_or(0);
            out.truncate(parent);
            trailing_slash = true;
        } else {
            out.push('/');
            push_normalised(&mut out, segment);
        }
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    /// `.` or `..`, written plainly.
    Dot,
    Other,
}

struct Scan {
    kind: Kind,
    /// An escape to decode or to upper-case.
    rewrite: bool,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte an escape starting at `bytes[at]` (the `%`) stands for.
fn escape_at(bytes: &[u8], at: usize) -> Option<u8> {
    let high = hex(*bytes.get(at + 1)?)?;
    let low = hex(*bytes.get(at + 2)?)?;
    Some(high << 4 | low)
}

fn refuse_byte(b: u8) -> Result<(), PathError> {
    match b {
        b'\\' => Err(PathError::Backslash),
        b if b < 0x20 || b == 0x7f => Err(PathError::Control),
        _ => Ok(()),
    }
}

/// Checks one segment and says whether it is already canonical.
fn scan(segment: &str) -> Result<Scan, PathError> {
    let bytes = segment.as_bytes();
    let mut rewrite = false;
    let mut high_escape = false;
    let mut only_dots = !bytes.is_empty();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            refuse_byte(b)?;
            only_dots &= b == b'.';
            i += 1;
            continue;
        }
        let decoded = escape_at(bytes, i).ok_or(PathError::BadEscape)?;
        if decoded == b'/' {
            return Err(PathError::EncodedSlash);
        }
        refuse_byte(decoded)?;
        only_dots &= decoded == b'.';
        high_escape |= decoded >= 0x80;
        rewrite |= is_unreserved(decoded) || bytes[i + 1..i + 3].iter().any(u8::is_ascii_lowercase);
        i += 3;
    }
    if only_dots && bytes.len() <= 6 {
        let dots = decoded_bytes(segment).count();
        if dots <= 2 {
            if segment.len() != dots {
                return Err(PathError::EncodedDotSegment);
            }
            return Ok(Scan {
                kind: Kind::Dot,
                rewrite,
            });
        }
    }
    if high_escape && std::str::from_utf8(&decoded_bytes(segment).collect::<Vec<_>>()).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    let kind = if bytes.is_empty() {
        Kind::Empty
    } else {
        Kind::Other
    };
    Ok(Scan { kind, rewrite })
}

/// Appends `segment` with unreserved characters decoded and the other
/// escapes' hex digits upper-cased.
fn push_normalised(out: &mut String, segment: &str) {
    let bytes = segment.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        out.push_str(&segment[plain_from..i]);
        match escape_at(bytes, i) {
            Some(b) if is_unreserved(b) => out.push(char::from(b)),
            _ => out.push_str(&segment[i..i + 3].to_ascii_uppercase()),
        }
        i += 3;
        plain_from = i;
    }
    out.push_str(&segment[plain_from..]);
}

/// The bytes a segment stands for, every escape decoded; a malformed escape
/// stays as written.
pub fn decoded_bytes(segment: &str) -> impl Iterator<Item = u8> + '_ {
    let bytes = segment.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        match (b == b'%').then(|| escape_at(bytes, i)).flatten() {
            Some(decoded) => {
                i += 3;
                Some(decoded)
            }
            None => {
                i += 1;
                Some(b)
            }
        }
    })
}

/// A segment of a [`CanonicalPath`] fully decoded (its UTF-8 was checked).
pub fn decode_segment(segment: &str) -> Cow<'_, str> {
    if !segment.contains('%') {
        return Cow::Borrowed(segment);
    }
    Cow::Owned(String::from_utf8_lossy(&decoded_bytes(segment).collect::<Vec<_>>()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(uri: &str) -> Result<String, PathError> {
        canonical_path(uri).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn canonical_paths_are_borrowed() {
        for path in [
            "/",
            "/api/dataproducts/1",
            "/api/a%20b/",
            "/x/%C3%A9",
            "/a.b/..c/~",
        ] {
            let canonical = canonical_path(path).unwrap();
            assert_eq!(canonical.as_str(), path);
            assert!(!canonical.is_rewritten(), "{path}");
        }
    }

    #[test]
    fn rewrites_follow_rfc_3986() {
        let cases = [
            ("/api/dataproducts/1?x=/../admin", "/api/dataproducts/1"),
            ("/api/x#frag/../y", "/api/x"),
            ("/api/public/../admin/secret", "/api/admin/secret"),
            ("/api/./admin", "/api/admin"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/../../a", "/a"),
            ("/..", "/"),
            ("//api///admin//x", "/api/admin/x"),
            ("/a//", "/a/"),
            ("/api/%61dmin/x", "/api/admin/x"),
            ("/%7E%2d%5F%2E%30", "/~-_.0"),
            ("/a%3ab", "/a%3Ab"),
            ("/a%20b%e2%82%ac", "/a%20b%E2%82%AC"),
            ("/a/%2e%2eb", "/a/..b"),
        ];
        for (raw, want) in cases {
            assert_eq!(canon(raw).as_deref(), Ok(want), "{raw}");
            assert_eq!(canon(want).as_deref(), Ok(want), "{want} is canonical");
        }
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        let cases = [
            ("", PathError::Empty),
            ("?x=1", PathError::Empty),
            ("api/x", PathError::NotAbsolute),
            ("*", PathError::NotAbsolute),
            ("http://host/x", PathError::NotAbsolute),
            ("/api/admin%2Fx", PathError::EncodedSlash),
            ("/api/admin%2fx", PathError::EncodedSlash),
            ("/api/public/..%2fadmin/secret", PathError::EncodedSlash),
            (
                "/api/public/%2e%2e/admin/secret",
                PathError::EncodedDotSegment,
            ),
            ("/api/public/.%2E/admin", PathError::EncodedDotSegment),
            ("/api/%2e/admin", PathError::EncodedDotSegment),
            ("/api/public\\..\\admin", PathError::Backslash),
            ("/api/%5c/admin", PathError::Backslash),
            ("/api/admin%00", PathError::Control),
            ("/api/\tadmin", PathError::Control),
            ("/api/%7F", PathError::Control),
            ("/api/%zz", PathError::BadEscape),
            ("/api/%4", PathError::BadEscape),
            ("/api/%ff", PathError::InvalidUtf8),
            ("/api/%c0%af", PathError::InvalidUtf8),
        ];
        for (raw, want) in cases {
            assert_eq!(canon(raw), Err(want), "{raw:?}");
        }
        assert_eq!(canon(&"/a".repeat(MAX_PATH)), Err(PathError::TooLong));
    }

    #[test]
    fn segments_decode_fully() {
        assert_eq!(decode_segment("a%3Ab%20c"), "a:b c");
        assert!(matches!(decode_segment("plain"), Cow::Borrowed("plain")));
        let path = canonical_path("/x/y/").unwrap();
        assert_eq!(path.segments().collect::<Vec<_>>(), ["x", "y"]);
    }
}
