//! Permission queries: a permission name, or names joined with `AND`, `OR`
//! and parentheses (`dataproducts:read AND (datasets:edit OR datasets:admin)`).
//! `AND` binds tighter than `OR`.

use crate::permission::PermissionName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionQuery {
    Permission(PermissionName),
    And(Box<PermissionQuery>, Box<PermissionQuery>),
    Or(Box<PermissionQuery>, Box<PermissionQuery>),
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
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let position = input[..at].chars().count() + 1;
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
        let mut left = self.and_expr()?;
        while self.peek() == Some(&Token::Or) {
            self.next += 1;
            let right = self.and_expr()?;
            left = PermissionQuery::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<PermissionQuery, QuerySyntaxError> {
        let mut left = self.operand()?;
        while self.peek() == Some(&Token::And) {
            self.next += 1;
            let right = self.operand()?;
            left = PermissionQuery::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn operand(&mut self) -> Result<PermissionQuery, QuerySyntaxError> {
        match self.peek().cloned() {
            Some(Token::Open) => {
                self.next += 1;
                let inner = self.or_expr()?;
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

impl PermissionQuery {
    pub fn parse(input: &str) -> Result<Self, QuerySyntaxError> {
        let tokens = tokenize(input)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            end: input.chars().count() + 1,
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
            PermissionQuery::And(a, b) => a.evaluate(holds) && b.evaluate(holds),
            PermissionQuery::Or(a, b) => a.evaluate(holds) || b.evaluate(holds),
        }
    }

    /// Every permission the query names, in order.
    pub fn permissions(&self) -> Vec<&PermissionName> {
        match self {
            PermissionQuery::Permission(p) => vec![p],
            PermissionQuery::And(a, b) | PermissionQuery::Or(a, b) => {
                let mut out = a.permissions();
                out.extend(b.permissions());
                out
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
}
