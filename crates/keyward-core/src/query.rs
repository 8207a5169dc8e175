//! Permission queries: a permission name, or names joined with `AND`, `OR`
//! and parentheses (`dataproducts:read AND (datasets:edit OR datasets:admin)`).
//! `AND` binds tighter than `OR`.
//!
//! Queries come from callers, so they are bounded: at most
//! [`QUERY_MAX_BYTES`] long and [`QUERY_MAX_DEPTH`] parentheses deep. A chain
//! of `AND`s (or `OR`s) is one node with many operands, so the tree is never
//! deeper than the parentheses: parsing, evaluating and dropping a query
//! recurse at most about twice that depth.

use crate::limits::{QUERY_MAX_BYTES, QUERY_MAX_DEPTH};
use crate::permission::PermissionName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionQuery {
    Permission(PermissionName),
    /// Every operand holds; two or more.
    And(Vec<PermissionQuery>),
    /// Some operand holds; two or more.
    Or(Vec<PermissionQuery>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("permission query: {message} at position {position}")]
pub struct QuerySyntaxError {
    /// 1-based character position of the offending token.
    pub position: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    And,
    Or,
    Open,
    Close,
}

fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, QuerySyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().enumerate().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let position = at + 1;
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                tokens.push((position, if c == '(' { Token::Open } else { Token::Close }));
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') => {
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let token = match word.as_str() {
                    "AND" | "and" => Token::And,
                    "OR" | "or" => Token::Or,
                    _ => Token::Name(word),
                };
                tokens.push((position, token));
            }
            other => {
                return Err(QuerySyntaxError {
                    position,
                    message: format!("unexpected character {other:?}"),
                });
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
    /// Parentheses open at `next`.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    fn error(&self, message: impl Into<String>) -> QuerySyntaxError {
        QuerySyntaxError {
            position: self.position(),
            message: message.into(),
        }
    }

    fn or_expr(&mut self) -> Result<PermissionQuery, QuerySyntaxError> {
        let mut operands = vec![self.and_expr()?];
        while self.peek() == Some(&Token::Or) {
            self.next += 1;
            operands.push(self.and_expr()?);
        }
        Ok(join(operands, PermissionQuery::Or))
    }

    fn and_expr(&mut self) -> Result<PermissionQuery, QuerySyntaxError> {
        let mut operands = vec![self.operand()?];
        while self.peek() == Some(&Token::And) {
            self.next += 1;
            operands.push(self.operand()?);
        }
        Ok(join(operands, PermissionQuery::And))
    }

    fn operand(&mut self) -> Result<PermissionQuery, QuerySyntaxError> {
        match self.peek().cloned() {
            Some(Token::Open) => {
                // Checked before descending, so hostile nesting costs no stack.
                if self.depth == QUERY_MAX_DEPTH {
                    return Err(self.error(format!(
                        "parentheses nest deeper than {QUERY_MAX_DEPTH} levels"
                    )));
                }
                self.next += 1;
                self.depth += 1;
                let inner = self.or_expr()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::Close) {
                    return Err(self.error("expected `)`"));
                }
                self.next += 1;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                let permission =
                    PermissionName::parse(&name).map_err(|e| self.error(e.to_string()))?;
                self.next += 1;
                Ok(PermissionQuery::Permission(permission))
            }
            Some(_) => Err(self.error("expected a permission or `(`")),
            None => Err(self.error("expected a permission, found the end")),
        }
    }
}

/// One operand stands for itself; more become one `And` or `Or` node.
fn join(
    operands: Vec<PermissionQuery>,
    node: fn(Vec<PermissionQuery>) -> PermissionQuery,
) -> PermissionQuery {
    match <[PermissionQuery; 1]>::try_from(operands) {
        Ok([only]) => only,
        Err(operands) => node(operands),
    }
}

impl PermissionQuery {
    pub fn parse(input: &str) -> Result<Self, QuerySyntaxError> {
        if input.len() > QUERY_MAX_BYTES {
            return Err(QuerySyntaxError {
                position: input
                    .char_indices()
                    .take_while(|(at, _)| *at < QUERY_MAX_BYTES)
                    .count()
                    + 1,
                message: format!("the query is longer than {QUERY_MAX_BYTES} bytes"),
            });
        }
        let tokens = tokenize(input)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            end: input.chars().count() + 1,
            depth: 0,
        };
        let query = parser.or_expr()?;
        if parser.next < parser.tokens.len() {
            return Err(parser.error("expected `AND`, `OR` or the end"));
        }
        Ok(query)
    }

    /// Evaluates the query, asking `holds` about each permission it names.
    pub fn evaluate(&self, holds: &impl Fn(&PermissionName) -> bool) -> bool {
        match self {
            PermissionQuery::Permission(p) => holds(p),
            PermissionQuery::And(all) => all.iter().all(|q| q.evaluate(holds)),
            PermissionQuery::Or(any) => any.iter().any(|q| q.evaluate(holds)),
        }
    }

    /// Every permission the query names, in order.
    pub fn permissions(&self) -> Vec<&PermissionName> {
        match self {
            PermissionQuery::Permission(p) => vec![p],
            PermissionQuery::And(operands) | PermissionQuery::Or(operands) => {
                operands.iter().flat_map(Self::permissions).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(names: &'static [&'static str]) -> impl Fn(&PermissionName) -> bool {
        move |p| names.contains(&p.as_str())
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let q = PermissionQuery::parse("a:r OR b:r AND c:r").unwrap();
        assert!(q.evaluate(&holds(&["a:r"])));
        assert!(!q.evaluate(&holds(&["b:r"])));
        assert!(q.evaluate(&holds(&["b:r", "c:r"])));
    }

    #[test]
    fn parentheses_group() {
        let q = PermissionQuery::parse("dataproducts:read AND (datasets:edit OR datasets:admin)")
            .unwrap();
        assert!(q.evaluate(&holds(&["dataproducts:read", "datasets:admin"])));
        assert!(!q.evaluate(&holds(&["dataproducts:read"])));
        assert_eq!(q.permissions().len(), 3);
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let e = PermissionQuery::parse("a:r AND").unwrap_err();
        assert_eq!(e.position, 8);
        let e = PermissionQuery::parse("(a:r OR b:r").unwrap_err();
        assert_eq!(e.position, 12);
        let e = PermissionQuery::parse("a:r b:r").unwrap_err();
        assert_eq!(e.position, 5);
        let e = PermissionQuery::parse("a:r & b:r").unwrap_err();
        assert_eq!(e.position, 5);
        let e = PermissionQuery::parse("AND a:r").unwrap_err();
        assert_eq!(e.position, 1);
        let e = PermissionQuery::parse("Bad").unwrap_err();
        assert_eq!(e.position, 1);
    }

    #[test]
    fn deep_nesting_is_refused_before_it_costs_stack() {
        let e = PermissionQuery::parse(&"(".repeat(4000)).unwrap_err();
        assert!(e.message.contains("1024 bytes"), "{}", e.message);
        let e = PermissionQuery::parse(&"(".repeat(QUERY_MAX_BYTES)).unwrap_err();
        assert_eq!(e.position, QUERY_MAX_DEPTH + 1);
        assert!(e.message.contains("deeper than 32"), "{}", e.message);
    }

    #[test]
    fn the_deepest_allowed_query_parses_and_evaluates() {
        let depth = QUERY_MAX_DEPTH;
        let q = format!("{}a:r{}", "(".repeat(depth), ")".repeat(depth));
        assert!(
            PermissionQuery::parse(&q)
                .unwrap()
                .evaluate(&holds(&["a:r"]))
        );
        let q = format!("{}a:r{}", "(".repeat(depth + 1), ")".repeat(depth + 1));
        assert!(PermissionQuery::parse(&q).is_err());
    }

    #[test]
    fn a_chain_is_one_flat_node() {
        let mut chain = "a:b".to_owned();
        while chain.len() + " AND a:b".len() <= QUERY_MAX_BYTES {
            chain.push_str(" AND a:b");
        }
        assert!(chain.len() > QUERY_MAX_BYTES - 8);
        let q = PermissionQuery::parse(&chain).unwrap();
        let PermissionQuery::And(operands) = &q else {
            panic!("expected one AND node, got {q:?}");
        };
        assert_eq!(operands.len(), 128);
        assert!(q.evaluate(&holds(&["a:b"])));
        assert!(!q.evaluate(&holds(&[])));
        drop(q);
    }

    #[test]
    fn the_widest_and_deepest_query_evaluates_on_a_small_stack() {
        // Nested `OR`s inside nested `AND`s, to the byte and depth limits.
        let mut q = "a:b".to_owned();
        for level in 0..QUERY_MAX_DEPTH {
            let op = if level % 2 == 0 { "AND" } else { "OR" };
            q = format!("(a:b {op} {q})");
        }
        while q.len() + " OR a:b".len() <= QUERY_MAX_BYTES {
            q.push_str(" OR a:b");
        }
        let parsed = PermissionQuery::parse(&q).unwrap();
        let evaluated = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let result = parsed.evaluate(&holds(&["a:b"]));
                drop(parsed);
                result
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(evaluated);
    }

    #[test]
    fn long_queries_are_refused() {
        let long = format!("a:{}", "b".repeat(QUERY_MAX_BYTES));
        let e = PermissionQuery::parse(&long).unwrap_err();
        assert_eq!(e.position, QUERY_MAX_BYTES + 1);
        assert!(e.message.contains("1024 bytes"), "{}", e.message);
    }
}
